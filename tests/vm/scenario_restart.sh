#!/bin/bash
# VM scenario 3 of issue 9: restart without loss.  aalearnd reads the kernel
# log (/dev/kmsg: no auditd runs in the VM); it is killed with SIGKILL twice
# in the middle of a workload of 480 records (240 files, each opened twice)
# and started again each time.  The store's counts must equal the records
# the kernel produced: none lost, none counted twice.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
vm_run restart "$here/guest/restart.sh"
out=$VM_WORK/restart
VM_LAST_CONSOLE=$VM_WORK/restart.console
r() { vm_result "$out" "$1"; }

kernel=$(grep 'apparmor="ALLOWED"' "$out/churn.log" | grep -c 'profile="churn' || true)
vm_check "the workload ran" [ "$(r workload_rc)" = 0 ]
vm_check "the daemon was killed twice mid-workload (records by then: $(sed -n 's/^killed_at //p' "$out/results" | tr '\n' ' '))" \
    bash -c "[ \"$(r kills)\" = 2 ] && ! grep -Eq '^killed_at (0|$kernel)$' '$out/results'"
vm_check "the daemon's last stop was clean" [ "$(r daemon_stop_rc)" = 0 ]
vm_check "the kernel logged the 480 reads (and the helpers' accesses): $kernel" [ "$kernel" -ge 480 ]
vm_check "aalearn show churn succeeded" [ "$(r show_rc)" = 0 ]
# The counts: every observation's "allowed" summed must equal the kernel's
# ALLOWED records for churn; each data file's observation must count 2.
vm_check "store counts equal the kernel's records" python3 - "$out/show.json" "$out/churn.log" <<'PY'
import json, re, sys
doc = json.load(open(sys.argv[1]))
obs = []
def walk(x):
    if isinstance(x, dict):
        if "allowed" in x and isinstance(x["allowed"], int):
            obs.append(x)
        for v in x.values():
            walk(v)
    elif isinstance(x, list):
        for v in x:
            walk(v)
walk(doc)
lines = [l for l in open(sys.argv[2], errors="surrogateescape")
         if 'apparmor="ALLOWED"' in l and re.search(r'profile="churn(//[^"]*)?"', l)]
total = sum(o["allowed"] for o in obs)
if total != len(lines):
    sys.exit("store counts %d ALLOWED events in %d observations, the kernel logged %d"
             % (total, len(obs), len(lines)))
def names(o):
    out = []
    def strings(x):
        if isinstance(x, str):
            out.append(x)
        elif isinstance(x, dict):
            for v in x.values():
                strings(v)
        elif isinstance(x, list):
            for v in x:
                strings(v)
    strings(o)
    return out
for i in range(1, 241):
    f = "/srv/churn/f%d" % i
    want = sum(1 for l in lines if 'name="%s"' % f in l)
    got = sum(o["allowed"] for o in obs if f in names(o))
    if got != want:
        sys.exit("%s: store %d, kernel %d" % (f, got, want))
PY
echo "boot: ${VM_BOOT_SECONDS}s, kernel records for churn: $kernel"
vm_finish
