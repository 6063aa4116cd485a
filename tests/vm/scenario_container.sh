#!/bin/bash
# VM scenario 2 of issue 9: a real container.  runc runs a busybox bundle
# whose config.json sets process.apparmorProfile (as Docker and containerd
# do) and linux.cgroupsPath /system.slice/docker-<64 hex>.scope; aalearnd
# (netlink) learns profile `web` from it, the observations carry the
# container's id from its real cgroup, and after review/apply/enforce the
# container runs with zero DENIED records while what it never did is DENIED.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
vm_run container "$here/guest/container.sh"
out=$VM_WORK/container
VM_LAST_CONSOLE=$VM_WORK/container.console
r() { vm_result "$out" "$1"; }
id=$(r docker_id)

vm_check "aalearn init loaded web in complain mode" [ "$(r init_mode)" = "web (complain)" ]
vm_check "learning became quiet within 4 rounds (took $(r learn_rounds))" [ "$(r learn_quiet)" = yes ]
vm_check "no container run failed while learning" [ -z "$(r workload_failed)" ]
vm_check "the kernel's records for web come from the container's paths" \
    grep -q 'apparmor="ALLOWED" .*profile="web[^"]*" name="/srv/app/data/results.txt"' "$out/kernel.log"
vm_check "aalearn show web succeeded" [ "$(r show_rc)" = 0 ]
vm_check "the evidence names the container id $id" grep -q "$id" "$out/show.json"
# One observation (an object whose own values hold the path) names both
# the container's data file and the container's id.
vm_check "the data file's observation is attributed to the container" \
    python3 - "$out/show.json" "$id" <<'PY'
import json, sys
doc, cid = json.load(open(sys.argv[1])), sys.argv[2]
def own(d):
    out = []
    for v in d.values():
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, list):
            out += [x for x in v if isinstance(x, str)]
    return out
def walk(x):
    if isinstance(x, dict):
        o = own(x)
        if "/srv/app/data/results.txt" in o and cid in o:
            return True
        return any(walk(v) for v in x.values())
    if isinstance(x, list):
        return any(walk(v) for v in x)
    return False
sys.exit(0 if walk(doc) else "no observation of /srv/app/data/results.txt names container " + cid)
PY
vm_check "aalearn show web --container ID succeeded" [ "$(r show_ctr_rc)" = 0 ]
vm_check "the container's own evidence includes its data file" grep -q '/srv/app/data/results.txt' "$out/show-ctr.json"
vm_check "aalearn enforce --quiet 0 succeeded" [ "$(r enforce_rc)" = 0 ]
vm_check "web is in enforce mode" [ "$(r enforce_mode)" = "web (enforce)" ]
vm_check "the final profile passes apparmor_parser -QK" apparmor_parser -QK "$out/profile.final"
vm_check "the enforced container ran to its end" [ "$(r enforced_rc)" = 0 ] 
vm_check "the enforced container printed done" grep -q 'done' <<< "$(r enforced_out)"
vm_check "zero DENIED records for the enforced container" \
    bash -c "! grep -q 'apparmor=\"DENIED\"' '$out/enforced.log'"
bad_did_nothing() { ! grep -Eq 'read-shadow|wrote-etc|read-root' <<< "$(r bad_out)"; }
vm_check "the bad run could not read, write or list (output: '$(r bad_out)')" bad_did_nothing
for n in /etc/shadow /etc/evil /root/; do
	vm_check "DENIED record for $n in the container" \
	    grep -q "apparmor=\"DENIED\".* profile=\"web[^\"]*\" name=\"$n\"" "$out/forbidden.log"
done
echo "boot: ${VM_BOOT_SECONDS}s, learning rounds: $(r learn_rounds)"
vm_finish
