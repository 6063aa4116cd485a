#!/bin/bash
# The documented long run: every unit test and the CLI integration scripts
# under valgrind's memcheck, in a Debug build without sanitizers
# (build-valgrind/).  A test fails when valgrind finds an error or a
# definite leak; at the end one line per test and the totals.
#
#   tests/valgrind.sh              build, then run everything
#   tests/valgrind.sh unit         only the unit tests
#   tests/valgrind.sh daemon       only aalearnd (a few seconds of audit.log)
#   tests/valgrind.sh cli          only the CLI scripts (tests/integration/cli_*.sh,
#                                  import_cli.sh, hostile_*.sh, fault_parser_*.sh)
#   VALGRIND_FILTER=REGEX          only tests whose name matches
#   JOBS=N                         build jobs (default 2)
#
# The daemon's C integration tests fork aalearnd and time it; under valgrind
# they run too slowly to mean anything and are left to ASan (make check).
set -uo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
B=${VALGRIND_BUILD_DIR:-$SRC/build-valgrind}
WHAT=${1:-all}
FILTER=${VALGRIND_FILTER:-.}
LOGS=$B/valgrind-logs
VG=(valgrind --error-exitcode=99 --leak-check=full
    --errors-for-leak-kinds=definite --show-leak-kinds=definite
    --track-fds=no --num-callers=30)

command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 2; }
cmake -S "$SRC" -B "$B" -DCMAKE_BUILD_TYPE=Debug -DAALEARN_SANITIZE=OFF \
    -DAALEARN_FUZZ=OFF -DAALEARN_WERROR=ON >/dev/null || exit 2
cmake --build "$B" -j "${JOBS:-2}" >"$B/build.log" 2>&1 ||
    { tail -30 "$B/build.log"; echo "build failed" >&2; exit 2; }
rm -rf "$LOGS"
mkdir -p "$LOGS"

# The CLI scripts run the binary through this wrapper: each run leaves its
# own log, and exits 99 when valgrind found something.
WRAP=$B/aalearn-under-valgrind
cat >"$WRAP" <<EOF
#!/bin/sh
exec ${VG[*]} --log-file=$LOGS/cli.%p.log $B/cli/aalearn "\$@"
EOF
chmod +x "$WRAP"

export AALEARN_SHARED=${AALEARN_SHARED:-$SRC/../shared}
export AALEARN_CORPUS=$AALEARN_SHARED/corpus AALEARN_SOURCE_DIR=$SRC
export AALEARN_BUILD_DIR=$B AALEARND_BIN=$B/daemon/aalearnd
# The parser's deadline, stretched for valgrind's pace.
export AALEARN_PARSER_TIMEOUT=600

pass=0 failed=0
declare -a summary

# bad_logs DIR PATTERN: the logs with errors or definite leaks.
bad_logs() {
	grep -lE "ERROR SUMMARY: [1-9]|definitely lost: [1-9]" $1 2>/dev/null || true
}

record() {
	local name=$1 ok=$2 note=$3
	if [ "$ok" = 1 ]; then
		pass=$((pass + 1))
		summary+=("PASS  $name $note")
	else
		failed=$((failed + 1))
		summary+=("FAIL  $name $note")
	fi
}

if [ "$WHAT" = all ] || [ "$WHAT" = unit ]; then
	for t in "$B"/tests/test_*; do
		[ -x "$t" ] || continue
		name=unit/$(basename "$t")
		[[ $name =~ $FILTER ]] || continue
		log=$LOGS/$(basename "$t").log
		start=$(date +%s)
		(cd "$B/tests" && "${VG[@]}" --log-file="$log" "$t" \
		    >"$log.out" 2>&1)
		rc=$?
		secs=$(( $(date +%s) - start ))
		if [ "$rc" = 0 ] && [ -z "$(bad_logs "$log")" ]; then
			record "$name" 1 "(${secs} s)"
		else
			record "$name" 0 "(exit $rc, ${secs} s; see $log)"
		fi
	done
fi

if [ "$WHAT" = all ] || [ "$WHAT" = cli ]; then
	for s in "$SRC"/tests/integration/cli_*.sh \
	    "$SRC"/tests/integration/import_cli.sh \
	    "$SRC"/tests/integration/hostile_*.sh \
	    "$SRC"/tests/integration/fault_parser_*.sh; do
		[ -f "$s" ] || continue
		name=integration/$(basename "$s" .sh)
		[[ $name =~ $FILTER ]] || continue
		rm -f "$LOGS"/cli.*.log
		start=$(date +%s)
		AALEARN_BIN=$WRAP bash "$s" >"$LOGS/$(basename "$s").out" 2>&1
		rc=$?
		secs=$(( $(date +%s) - start ))
		runs=$(ls "$LOGS"/cli.*.log 2>/dev/null | wc -l)
		bad=$(bad_logs "$LOGS/cli.*.log")
		keep=$LOGS/$(basename "$s" .sh)
		mkdir -p "$keep"
		mv "$LOGS"/cli.*.log "$keep"/ 2>/dev/null
		if [ "$rc" = 0 ] && [ -z "$bad" ]; then
			record "$name" 1 "($runs runs, ${secs} s)"
		else
			record "$name" 0 "(exit $rc, $runs runs, $(echo "$bad" | grep -c .) with findings, ${secs} s; see $keep)"
		fi
	done
fi

# The daemon itself: audit.log (and netlink when root) for a few seconds,
# records in, a reload, a clean stop.
if [ "$WHAT" = all ] || [ "$WHAT" = daemon ]; then
	name=daemon/aalearnd
	if [[ $name =~ $FILTER ]]; then
		D=$(mktemp -d /tmp/aalearn-vg.XXXXXX)
		srcs=auditlog
		[ "$(id -u)" = 0 ] && srcs="netlink, auditlog"
		printf 'database = %s/db/aalearn.db\nflush_interval = 200ms\nsources = %s\naudit_log = %s/audit.log\nread_backlog = yes\n' \
		    "$D" "$srcs" "$D" >"$D/conf"
		log=$LOGS/aalearnd.log
		start=$(date +%s)
		"${VG[@]}" --log-file="$log" "$B/daemon/aalearnd" -f -c "$D/conf" \
		    2>"$LOGS/aalearnd.out" &
		pid=$!
		sleep 3
		for i in $(seq 1000); do
			echo "type=AVC msg=audit(1790000000.$((i % 1000)):$i): apparmor=\"ALLOWED\" operation=\"open\" class=\"file\" profile=\"vg\" name=\"/srv/vg/f$((i % 97))\" pid=$$ comm=\"sh\" requested_mask=\"r\" denied_mask=\"r\" fsuid=0 ouid=0"
		done >>"$D/audit.log"
		sleep 3
		kill -HUP "$pid"
		sleep 1
		kill -TERM "$pid"
		wait "$pid"
		rc=$?
		secs=$(( $(date +%s) - start ))
		n=$("$B/cli/aalearn" --db "$D/db/aalearn.db" --json show vg 2>/dev/null |
		    python3 -c 'import json,sys; print(sum(a["allowed"] + a.get("denied", 0) for a in json.load(sys.stdin)["accesses"]))' 2>/dev/null || echo "?")
		rm -rf "$D"
		if [ "$rc" = 0 ] && [ -z "$(bad_logs "$log")" ]; then
			record "$name" 1 "($n of 1000 events stored, ${secs} s)"
		else
			record "$name" 0 "(exit $rc, $n of 1000 events stored; see $log)"
		fi
	fi
fi

echo
echo "valgrind memcheck, definite leaks and errors fatal:"
printf '  %s\n' "${summary[@]}"
echo "$pass passed, $failed failed"
[ "$failed" = 0 ]
