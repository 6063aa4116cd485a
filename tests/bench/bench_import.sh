#!/bin/bash
# aalearn import, where the time goes: the learner's half alone
# (bench_pipeline), then end to end into a store on disk and on tmpfs, then a
# flood of distinct names for peak RSS.  Prints figures; asserts nothing.
# Usage: bench_import.sh BUILD_DIR   (N=1000000 FLOOD=1000000)
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
shared=${AALEARN_SHARED:-$src/../shared}
n=${N:-1000000}
flood=${FLOOD:-1000000}
work=${BENCH_DIR:-/var/tmp/aalearn-bench}
aalearn=$build/cli/aalearn
mkdir -p "$work"
log=$work/genlog-$n.log
[ -s "$log" ] || python3 "$shared/tools/genlog.py" "$n" 1 >"$log"
echo "== input: $log, $n AppArmor records, $(du -m "$log" | cut -f1) MB; load: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ -x "$build/tests/bench_pipeline" ]; then
	echo "== learner only (split, parse, join, aggregate; no store)"
	"$build/tests/bench_pipeline" "$log"
fi

one() {	# one DB: end-to-end import, prints seconds, RSS, user, sys and the summary
	rm -f "$1"*
	/usr/bin/time -f '%e s wall, peak RSS %M KiB, user %U s, sys %S s' \
		-o "$work/time.out" "$aalearn" --db "$1" --json import "$log" >"$work/out.json"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("  %d records, %d new, %d updated, %d transactions, %.0f records/s" % (d["records"], d["observations"]["new"], d["observations"]["updated"], d["transactions"], d["records_per_second"]))' "$work/out.json"
	echo "  $(cat "$work/time.out")"
	rm -f "$1"*
}
echo "== end to end, store on $(df --output=fstype "$work" | tail -1)"
one "$work/bench.db"
if [ -d /dev/shm ]; then
	echo "== end to end, store on tmpfs (no disk writes)"
	one "/dev/shm/aalearn-bench-$$.db"
fi

echo "== flood: $flood records, every one a new name, from a pipe"
python3 - "$flood" >"$work/flood.log" <<'EOF'
import sys
n = int(sys.argv[1])
w = sys.stdout.write
for i in range(n):
    w('type=AVC msg=audit(1700000000.%03d:%d): apparmor="ALLOWED" operation="mknod" '
      'profile="flood%d" name="/tmp/flood/%08x" pid=%d comm="f" requested_mask="c" '
      'denied_mask="c" fsuid=0 ouid=0\n' % (i % 1000, i + 1, i % 4, i, 100 + i % 30000))
EOF
rm -f "$work/flood.db"*
/usr/bin/time -f '%e s wall, peak RSS %M KiB' -o "$work/time.out" \
	"$aalearn" --db "$work/flood.db" --json import - <"$work/flood.log" >"$work/out.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("  %d records, %d kept, %d overflow (store cap per profile)" % (d["records"], d["observations"]["new"], d["overflow"]))' "$work/out.json"
echo "  $(cat "$work/time.out")"
rm -f "$work/flood.db"* "$work/flood.log"
