#!/bin/bash
# VM scenario 1 of issue 9: learn, enforce, verify.  aalearnd (netlink
# source) learns the demo service shop-worker under a complain-mode profile
# made by `aalearn init shop --container`; `aalearn review --accept-all`,
# `apply`, until `aalearn diff` finds nothing new (at most 4 rounds: a
# learning null-profile mediates no network, so what an exec'd child does
# on the network shows only once the exec is learned); `enforce --quiet 0`;
# the same workload then runs with zero DENIED records, and accesses it never
# made (read /etc/shadow, write under /etc, read /root) are each DENIED.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
vm_workdir
payload=$VM_WORK/payload
vm_payload_shop "$payload"
vm_run learn_enforce "$here/guest/learn_enforce.sh" "$payload"
out=$VM_WORK/learn_enforce
VM_LAST_CONSOLE=$VM_WORK/learn_enforce.console
r() { vm_result "$out" "$1"; }

vm_check "aalearn init loaded shop in complain mode" [ "$(r init_mode)" = "shop (complain)" ]
vm_check "the init profile passes apparmor_parser -QK" apparmor_parser -QK "$out/profile.init"
vm_check "learning became quiet within 4 rounds (took $(r learn_rounds))" [ "$(r learn_quiet)" = yes ]
vm_check "the daemon stopped cleanly each round" \
    bash -c "! grep -E '^daemon_stop_rc_[0-9]+ [^0]' '$out/results'"
vm_check "no workload run failed while learning" [ -z "$(r workload_failed)" ]
vm_check "aalearn enforce --quiet 0 succeeded" [ "$(r enforce_rc)" = 0 ]
vm_check "shop is in enforce mode" [ "$(r enforce_mode)" = "shop (enforce)" ]
vm_check "the final profile passes apparmor_parser -QK" apparmor_parser -QK "$out/profile.final"
vm_check "the final profile has no complain flag" bash -c "! grep -Eq 'flags=\\([^)]*complain' '$out/profile.final'"
vm_check "the enforced workload ran 3 times without error" [ "$(r enforced_runs_ok)" = 3 ]
vm_check "the enforced workload wrote the file with the hostile name" [ "$(r enforced_hostile_ok)" = yes ]
vm_check "the enforced workload reached its front end 3 times" [ "$(r enforced_frontend_lines)" = 3 ]
vm_check "zero DENIED records for the learned workload" \
    bash -c "! grep -q 'apparmor=\"DENIED\"' '$out/enforced.log'"
vm_check "reading /etc/shadow was refused" [ "$(r forbidden_shadow_rc)" != 0 ]
vm_check "writing under /etc was refused" [ "$(r forbidden_etc_rc)" != 0 ]
vm_check "nothing was written under /etc" [ -z "$(r forbidden_etc_exists)" ]
vm_check "reading /root was refused" [ "$(r forbidden_root_rc)" != 0 ]
vm_check "DENIED record for /etc/shadow" \
    grep -q 'apparmor="DENIED".* profile="shop[^"]*" name="/etc/shadow"' "$out/forbidden.log"
vm_check "DENIED record for /etc/aalearn-evil" \
    grep -q 'apparmor="DENIED".* profile="shop[^"]*" name="/etc/aalearn-evil"' "$out/forbidden.log"
vm_check "DENIED record for /root/" \
    grep -q 'apparmor="DENIED".* profile="shop[^"]*" name="/root/"' "$out/forbidden.log"
echo "boot: ${VM_BOOT_SECONDS}s, learning rounds: $(r learn_rounds)"
vm_finish
