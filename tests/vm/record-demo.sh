#!/bin/bash
# Record docs/demo/sample.log: boot Debian's kernel under QEMU, run the toy
# service shop-worker (tests/vm/demo/) three times under the complain-mode
# profile docs/demo/profile/shop-worker, and keep the kernel's audit records
# as dmesg prints them.  Re-runnable: it overwrites sample.log.
#   tests/vm/record-demo.sh [OUTPUT_FILE]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
out=${1:-$src/docs/demo/sample.log}
. "$here/lib.sh"
# The recording needs no binary of ours.
unset AALEARN_BIN AALEARND_BIN
vm_workdir
payload=$VM_WORK/payload
vm_payload_shop "$payload"
mkdir -p "$payload/etc/apparmor.d"
cp "$src/docs/demo/profile/shop-worker" "$payload/etc/apparmor.d/"
vm_run record-demo "$here/demo/record-guest.sh" "$payload"
res=$VM_WORK/record-demo
# The workload must have done everything it was written to do, or the
# sample would silently lack a class of records.
[ "$(vm_result "$res" frontend_lines)" = 3 ] || vm_die "the front end did not get 3 messages"
# Signals sent close together may coalesce; the kernel's records count them.
[ "$(vm_result "$res" reloads)" -ge 1 ] || vm_die "the reloader got no signal"
log=$res/kernel.log
for op in open mknod unlink connect signal; do
	# grep -c, not -q: under pipefail an early exit is a SIGPIPE failure.
	n=$(grep 'apparmor="ALLOWED"' "$log" | grep 'profile="shop-worker' | \
	    grep -c "operation=\"$op\"" || true)
	[ "$n" -gt 0 ] || vm_die "no ALLOWED $op record for shop-worker"
done
n=$(grep 'operation="signal"' "$log" | grep -c 'profile="shop-worker"')
[ "$n" = 3 ] || vm_die "expected 3 signal records, found $n"
cp "$log" "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out: $(wc -l < "$out") records, $(grep -c 'apparmor="ALLOWED"' "$out") ALLOWED, kernel $VM_KVER"
