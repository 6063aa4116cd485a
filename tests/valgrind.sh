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
#   tests/valgrind.sh daemon-tests only the C integration tests
#                                  (tests/integration/test_daemon_*.c, test_store_*.c)
#   VALGRIND_FILTER=REGEX          only tests whose name matches
#   JOBS=N                         build jobs (default 2)
#   AALEARN_TEST_TIME_SCALE=N      how much longer the daemon-tests wait
#                                  (default 10)
#
# The daemon's C integration tests fork aalearnd: they run with AALEARND_BIN
# (and AALEARN_BIN) pointing at wrappers that run the real binaries under
# memcheck, one log per process, and their waits stretched by
# AALEARN_TEST_TIME_SCALE.  Those that test the daemon's or the store's code
# inside the test program itself run under memcheck as a whole.
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

# killed_logs PATTERN: logs of processes killed with SIGKILL (no summary,
# no leak check: nothing to say about leaks) that still reported an error
# before they died - memcheck prints each with its stack.
killed_logs() {
	local f
	for f in $1; do
		[ -f "$f" ] || continue
		grep -q "ERROR SUMMARY:" "$f" && continue
		grep -qE "^==[0-9]+== +(at|by) 0x" "$f" && echo "$f"
	done
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

# The C integration tests.  Those whose code under test is aalearnd run
# natively, the daemon (and the CLI, for 'aalearn status') under memcheck
# through wrappers; those that run the daemon's sources or pipeline, or the
# store, inside the test program run under memcheck themselves (with the
# processes they fork).  A test fails when it fails, or when any of its logs
# shows an error or a definite leak.
if [ "$WHAT" = all ] || [ "$WHAT" = daemon-tests ]; then
	# memcheck's --log-file leaves the file open as fd 3 in the client,
	# not close-on-exec, and test_daemon_kernel checks every descriptor
	# of aalearnd below 256: the log goes to an fd above that instead (the
	# shell's pid is the daemon's once it execs).
	DWRAP=$B/aalearnd-under-valgrind
	cat >"$DWRAP" <<EOF
#!/bin/bash
exec 300>>$LOGS/aalearnd.\$\$.log
exec ${VG[*]} --log-fd=300 $B/daemon/aalearnd "\$@"
EOF
	chmod +x "$DWRAP"
	scale=${AALEARN_TEST_TIME_SCALE:-10}
	for t in "$B"/tests/integ_test_daemon_* "$B"/tests/integ_test_store_*; do
		[ -x "$t" ] || continue
		base=$(basename "$t")
		base=${base#integ_}
		name=integration/$base
		[[ $name =~ $FILTER ]] || continue
		case $base in
		test_daemon_sources|test_daemon_import_flood|test_store_*)
			harness=("${VG[@]}" --log-file="$LOGS/harness.%p.log")
			how="test under memcheck";;
		*)
			harness=()
			how="aalearnd under memcheck";;
		esac
		rm -f "$LOGS"/aalearnd.*.log "$LOGS"/cli.*.log \
		    "$LOGS"/harness.*.log
		out=$LOGS/$base.out
		start=$(date +%s)
		(cd "$B/tests" && AALEARND_BIN=$DWRAP AALEARN_BIN=$WRAP \
		    AALEARN_TEST_TIME_SCALE=$scale \
		    timeout --foreground -k 30 "${VALGRIND_TEST_TIMEOUT:-3600}" \
		    "${harness[@]}" "$t" >"$out" 2>&1)
		rc=$?
		secs=$(( $(date +%s) - start ))
		keep=$LOGS/$base
		mkdir -p "$keep"
		mv "$LOGS"/aalearnd.*.log "$LOGS"/cli.*.log \
		    "$LOGS"/harness.*.log "$keep"/ 2>/dev/null
		runs=$(ls "$keep"/*.log 2>/dev/null | wc -l)
		killed=$(grep -L "ERROR SUMMARY:" "$keep"/*.log 2>/dev/null |
		    grep -c .)
		bad=$( (bad_logs "$keep/*.log"; killed_logs "$keep/*.log") |
		    sort -u)
		nbad=$(echo "$bad" | grep -c .)
		skipped=$(sed -n 's/^\[  SKIPPED \] //p' "$out" | tr '\n' ' ')
		note="$how, $runs processes ($killed without a summary: SIGKILL or exec), ${secs} s"
		[ -n "$skipped" ] && note="$note; cmocka skipped: ${skipped% }"
		if [ "$rc" = 0 ] && [ "$nbad" = 0 ]; then
			record "$name" 1 "($note)"
		else
			record "$name" 0 "(exit $rc, $nbad logs with findings, $note; see $out, $keep)"
		fi
	done
fi

echo
echo "valgrind memcheck, definite leaks and errors fatal:"
printf '  %s\n' "${summary[@]}"
echo "$pass passed, $failed failed"
[ "$failed" = 0 ]
