#!/bin/bash
# make bench: every benchmark, figures printed as medians of RUNS runs, with
# the baselines measured in the same run.  Usage: run.sh BUILD_DIR
#   N=1000000 RUNS=3 BIG=10000000 (0 skips the ten-times-larger memory run)
set -euo pipefail
build=$(cd "${1:-build-bench}" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
shared=${AALEARN_SHARED:-$src/../shared}
n=${N:-1000000}
runs=${RUNS:-3}
big=${BIG:-$((n * 10))}
work=${BENCH_DIR:-/var/tmp/aalearn-bench}
mkdir -p "$work"
log=$work/genlog-$n.log
[ -s "$log" ] || python3 "$shared/tools/genlog.py" "$n" 1 >"$log"
records=$(grep -c 'apparmor="' "$log")
echo "== input: $log, $records AppArmor records, $(du -m "$log" | cut -f1) MB"

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for b in "$build"/tests/bench_*; do
	[ -x "$b" ] || continue
	echo "== $(basename "$b")"
	"$b" "$log" || echo "$(basename "$b") failed: $?"
done

aalearn=$build/cli/aalearn
if [ -x "$aalearn" ]; then
	echo "== aalearn import, end to end into a fresh store ($runs runs)"
	secs=() rss=()
	for i in $(seq "$runs"); do
		rm -f "$work/import.db"*
		/usr/bin/time -f '%e %M' -o "$work/time.out" \
			"$aalearn" --db "$work/import.db" import "$log" >/dev/null
		read -r s k <"$work/time.out"
		secs+=("$s") rss+=("$k")
	done
	s=$(printf '%s\n' "${secs[@]}" | median)
	k=$(printf '%s\n' "${rss[@]}" | median)
	imp_rate=$(awk -v r="$records" -v s="$s" 'BEGIN { printf "%.0f", r / s }')
	echo "import: median ${s}s, ${imp_rate} records/s, peak RSS $((k / 1024)) MiB"

	if [ "$big" -gt 0 ]; then
		echo "== memory with a log of $big records, generated into a pipe"
		rm -f "$work/big.db"*
		python3 "$shared/tools/genlog.py" "$big" 2 |
			/usr/bin/time -f '%e %M' -o "$work/time.out" \
			"$aalearn" --db "$work/big.db" import - >/dev/null
		read -r s k <"$work/time.out"
		echo "import of $big records: ${s}s (generator-bound), peak RSS $((k / 1024)) MiB"
		rm -f "$work/big.db"*
	fi
fi

if /usr/bin/python3 -c 'import apparmor.logparser' 2>/dev/null; then
	echo "== aa-logprof's log reading (python3-apparmor ReadLog.read_log), $runs runs"
	rates=()
	for i in $(seq "$runs"); do
		r=$(/usr/bin/python3 "$src/tests/bench/logprof_baseline.py" "$log" |
			sed -n 's/.*rate=\([0-9.]*\).*/\1/p')
		rates+=("$r")
	done
	lp_rate=$(printf '%s\n' "${rates[@]}" | median)
	echo "logprof read_log: median ${lp_rate} records/s"
	if [ -n "${imp_rate:-}" ]; then
		awk -v a="$imp_rate" -v b="$lp_rate" \
			'BEGIN { printf "ratio: aalearn import is %.1fx aa-logprof read_log\n", a / b }'
	fi
fi

# aalearn diff on a profile with 100,000 observations (bench_diff.sh), and
# the live netlink path into aalearnd (bench_live.sh, root only; LIVE=0
# skips it).
if [ -x "$aalearn" ]; then
	echo "== aalearn diff"
	BENCH_DIR=$work RUNS=$runs bash "$src/tests/bench/bench_diff.sh" "$build" ||
		echo "bench_diff.sh failed: $?"
fi
if [ "${LIVE:-1}" != 0 ] && [ -x "$build/daemon/aalearnd" ] && [ -x "$aalearn" ]; then
	echo "== live: netlink into aalearnd"
	bash "$src/tests/bench/bench_live.sh" "$build" || echo "bench_live.sh failed: $?"
fi
