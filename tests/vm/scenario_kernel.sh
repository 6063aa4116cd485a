#!/bin/bash
# VM scenario: the kernel that users run really logs what aalearn learns
# from, and aalearn reads every record of it.
#  - Debian 12's kernel boots with AppArmor enabled;
#  - a complain-mode profile loaded with apparmor_parser yields ALLOWED
#    records (files, exec, network, signal), an enforce-mode one DENIED
#    records and real refusals;
#  - a runc container with process.apparmorProfile and a Docker-shaped
#    cgroupsPath runs under the profile, in /system.slice/docker-<id>.scope;
#  - no record is lost between the kernel and the log (audit serials are
#    contiguous, no backlog/rate-limit messages), and `aalearn parse`
#    returns one record for each of them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

vm_run kernel "$here/guest/kernel.sh"
out=$VM_WORK/kernel
VM_LAST_CONSOLE=$VM_WORK/kernel.console
log=$out/kernel.log
r() { vm_result "$out" "$1"; }
aa() { grep 'apparmor=' "$log"; }

vm_check "AppArmor enabled in the guest kernel ($(r kernel))" [ "$(r apparmor)" = enabled ]
vm_check "apparmor in the LSM list ($(r lsm))" grep -q 'apparmor' <<< "$(r lsm)"
vm_check "aalearn (as built, sanitizers included) runs in the guest" [ "$(r aalearn_runs)" = yes ]

# Complain mode.
vm_check "kwork loaded in complain mode" [ "$(r kwork_mode)" = "kwork (complain)" ]
vm_check "kwork ran" [ "$(r kwork_ran)" = yes ]
kw() { aa | grep 'apparmor="ALLOWED"' | grep 'profile="kwork' | grep -c "$@" || true; }
vm_check "ALLOWED open of /etc/hostname-kwork" [ "$(kw 'operation="open".*name="/etc/hostname-kwork"')" -ge 1 ]
vm_check "ALLOWED mkdir of /srv/kwork/" [ "$(kw 'operation="mkdir".*name="/srv/kwork/"')" -ge 1 ]
vm_check "ALLOWED create + unlink of a random temp name" \
    [ "$(kw 'operation="unlink".*name="/tmp/kwork\.[A-Za-z0-9]\{6\}"')" -ge 1 ]
vm_check "ALLOWED exec into a null child profile" \
    [ "$(kw 'operation="exec".*name="/opt/kbox/cat".*target="kwork//null-/opt/kbox/cat"')" -ge 1 ]
vm_check "ALLOWED /proc/<pid>/limits" [ "$(kw 'name="/proc/[0-9]*/limits"')" -ge 1 ]
vm_check "ALLOWED inet stream connect" [ "$(kw 'operation="connect".*family="inet" sock_type="stream"')" -ge 1 ]
vm_check "ALLOWED signal usr1 to an unconfined peer" [ "$(kw 'operation="signal".*signal=usr1 peer="unconfined"')" -ge 1 ]
vm_check "no DENIED record for the complain profile" \
    [ "$(aa | grep 'apparmor="DENIED"' | grep -c 'profile="kwork' || true)" = 0 ]

# Enforce mode.
vm_check "kdeny loaded in enforce mode" [ "$(r kdeny_mode)" = "kdeny (enforce)" ]
vm_check "kdeny could not read /etc/shadow nor write /etc" [ -z "$(r kdeny_out)$(r kdeny_wrote)" ]
vm_check "DENIED read of /etc/shadow" \
    grep -q 'apparmor="DENIED" operation="open" profile="kdeny[^"]*" name="/etc/shadow"' "$log"
vm_check "DENIED create under /etc" \
    grep -q 'apparmor="DENIED" operation="mknod" profile="kdeny[^"]*" name="/etc/kdeny-was-here"' "$log"

# The container.
id=$(r docker_id)
vm_check "runc container exited 0" [ "$(r runc_rc)" = 0 ]
vm_check "container did its job" [ "$(r ctr_out)" = job-1 ]
vm_check "container's cgroup line has Docker's shape: $(r ctr_cgroup)" \
    grep -qxE '0::/system\.slice/docker-[0-9a-f]{64}\.scope' <<< "$(r ctr_cgroup)"
vm_check "container's cgroup names its id" [ "$(r ctr_cgroup)" = "0::/system.slice/docker-$id.scope" ]
vm_check "container confined by ctr-test (complain): $(r ctr_label)" [ "$(r ctr_label)" = "ctr-test (complain)" ]
vm_check "container's records name the profile, with container paths" \
    grep -q 'apparmor="ALLOWED" operation="open" profile="ctr-test" name="/srv/app/in/job-1.txt"' "$log"
vm_check "container's records carry its pid namespace's view nowhere: the pid is the host's" \
    grep -q "profile=\"ctr-test[^\"]*\" .*pid=$(r ctr_pid) " "$log"

# Nothing lost between the kernel and the log.
vm_check "records counted in the guest equal those sent" [ "$(r records)" = "$(aa | wc -l)" ]
vm_check "no audit backlog overflow or rate limiting" \
    bash -c "! grep -Eq 'backlog limit exceeded|callbacks suppressed|hold queue overflow|audit_lost=[1-9]' '$out/dmesg.txt'"
serials() { sed -n 's/.*audit([0-9.]*:\([0-9]*\)).*/\1/p' "$log"; }
contiguous()
{
	# Without auditd and without syscall auditing every audit event is one
	# printk'd record, so the serials run 1, 2, 3... with no gap.
	serials | awk 'NR == 1 { prev = $1; next } $1 != prev + 1 { bad = 1 } { prev = $1 } END { exit bad }'
}
vm_check "audit serials contiguous ($(serials | head -n 1)..$(serials | tail -n 1), $(serials | wc -l) records)" contiguous

# aalearn parse reads every record the kernel produced.
parse_err=$VM_WORK/parse.err
if "${AALEARN_BIN:?}" parse "$log" > "$VM_WORK/parse.json" 2> "$parse_err"; then
	vm_check "aalearn parse: one JSON record per kernel record" python3 - "$VM_WORK/parse.json" "$log" <<'PY'
import json, re, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
lines = [l for l in open(sys.argv[2], errors="surrogateescape") if "apparmor=" in l]
want = [int(re.search(r"audit\([0-9.]+:([0-9]+)\)", l).group(1)) for l in lines]
if len(recs) != len(want):
    sys.exit("parse gave %d records for %d kernel records" % (len(recs), len(want)))
got = [r.get("serial") for r in recs]
if any(g is not None for g in got) and got != want:
    sys.exit("serials differ: %r... vs %r..." % (got[:5], want[:5]))
# Each record's main fields as the kernel wrote them (quoted, or hex for
# names with spaces and other special bytes) against what parse returned.
def field(line, key):
    m = re.search(r'(?:^|[ :])%s=(?:"([^"]*)"|([0-9A-F]+)(?= |$))' % key, line.rstrip("\n"))
    if not m:
        return None
    return m.group(1) if m.group(1) is not None else bytes.fromhex(m.group(2)).decode("utf-8", "surrogateescape")
hexnames = 0
for rec, line in zip(recs, lines):
    for key in ("apparmor", "operation", "profile", "name"):
        want_v = field(line, key)
        if want_v is not None and rec.get(key) != want_v:
            sys.exit("serial %s: %s is %r in the log, %r from parse" % (rec.get("serial"), key, want_v, rec.get(key)))
    if re.search(r' name=[0-9A-F]+ ', line):
        hexnames += 1
if hexnames == 0:
    sys.exit("the workload left no hex-encoded name to check")
hostile = '/srv/kwork/x, ** rwx,"q\nz'
if not any(r.get("name") == hostile for r in recs):
    sys.exit("no record names %r exactly" % hostile)
profiles = set(r.get("profile") for r in recs)
for p in ("kwork", "kdeny", "ctr-test"):
    if not any(isinstance(x, str) and x.split("//")[0] == p for x in profiles):
        sys.exit("no record with profile %s in %r" % (p, sorted(map(str, profiles))))
PY
elif grep -q 'not built yet' "$parse_err"; then
	echo "note: aalearn parse is not built yet; the records were checked with grep only"
else
	cat "$parse_err" >&2
	vm_check "aalearn parse ran" false
fi
echo "boot: ${VM_BOOT_SECONDS}s"
vm_finish
