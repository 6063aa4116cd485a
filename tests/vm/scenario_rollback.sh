#!/bin/bash
# VM scenario 4 of issue 9: rollback.  After learning and enforcing shop,
# an operator's edit that drops the data directory's rules is loaded
# with apparmor_parser -r; the workload fails, the kernel logs DENIED records and `aalearn
# status` shows them; `aalearn rollback` restores the version that worked,
# reloads it, and the workload runs clean again.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
vm_workdir
payload=$VM_WORK/payload
vm_payload_shop "$payload"
vm_run rollback "$here/guest/rollback.sh" "$payload"
out=$VM_WORK/rollback
VM_LAST_CONSOLE=$VM_WORK/rollback.console
r() { vm_result "$out" "$1"; }

vm_check "aalearn history shows the good version ($(r good_version))" [ -n "$(r good_version)" ]
vm_check "the bad version was loaded" [ "$(r bad_apply_rc)" = 0 ]
vm_check "the bad version is loaded in enforce mode" [ "$(r bad_mode)" = "shop (enforce)" ]
vm_check "the workload fails under the bad version" [ "$(r broken_run_rc)" != 0 ]
vm_check "the kernel logged DENIED records ($(r broken_denied))" [ "$(r broken_denied)" -gt 0 ]
vm_check "the store holds the DENIED writes under /srv/shop" python3 - "$out/show.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
hits = []
def walk(x):
    if isinstance(x, dict):
        if isinstance(x.get("denied"), int) and x["denied"] > 0 and "/srv/shop/" in json.dumps(x):
            hits.append(x)
        for v in x.values():
            walk(v)
    elif isinstance(x, list):
        for v in x:
            walk(v)
walk(doc)
if not hits:
    sys.exit("no observation with denied > 0 under /srv/shop/")
PY
vm_check "aalearn status succeeded" [ "$(r status_rc)" = 0 ]
vm_check "aalearn status --json shows shop's DENIED events, as many as the kernel logged ($(r broken_denied))" \
    python3 - "$out/status.json" "$(r broken_denied)" <<'PY'
import json, sys
doc, want = json.load(open(sys.argv[1])), int(sys.argv[2])
found = []
def walk(x, inside):
    if isinstance(x, dict):
        here = inside or any(v == "shop" for v in x.values())
        for k, v in x.items():
            if here and "denied" in k.lower() and isinstance(v, int) and v == want:
                found.append((k, v))
            walk(v, here)
    elif isinstance(x, list):
        for v in x:
            walk(v, inside)
walk(doc, False)
if not found:
    sys.exit("no denied count of %d for shop in: %s" % (want, json.dumps(doc)[:2000]))
PY
vm_check "aalearn rollback succeeded" [ "$(r rollback_rc)" = 0 ]
vm_check "the restored profile is the good one, byte for byte" [ "$(r rollback_identical)" = yes ]
vm_check "shop is loaded in enforce mode after rollback" [ "$(r rollback_mode)" = "shop (enforce)" ]
vm_check "the workload runs again (3 of 3)" [ "$(r after_rollback_ok)" = 3 ]
vm_check "zero DENIED records after rollback" \
    bash -c "! grep -q 'apparmor=\"DENIED\"' '$out/after-rollback.log'"
vm_check "the daemon stopped cleanly" [ "$(r daemon_stop_rc)" = 0 ]
echo "boot: ${VM_BOOT_SECONDS}s"
vm_finish
