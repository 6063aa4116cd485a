#!/bin/bash
# apparmor_parser 3.0.8 can spend minutes on some valid patterns: every run
# of it has a deadline ($AALEARN_PARSER_TIMEOUT seconds), and a run past it
# is stopped with every process it forked.  A fake parser that forks a
# worker and sleeps stands for the slow one; the profile stays as it was.
set -euo pipefail

. "$(dirname "$0")/lib_cli.sh"
# Whatever the fake parser left (only when the test failed), then lib_cli's.
cleanup() {
	for f in "$T"/*.pid; do
		[ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true
	done
	cli_cleanup
}
trap cleanup EXIT

alive() { kill -0 "$(cat "$1")" 2>/dev/null; }

"$AALEARN" init web --container >/dev/null
now=$(date +%s)
cat >"$T/log" <<EOF
type=AVC msg=audit($now.100:101): apparmor="ALLOWED" operation="open" profile="web" name="/srv/data/a.txt" pid=4242 comm="app" requested_mask="r" denied_mask="r" fsuid=0 ouid=1000
EOF
"$AALEARN" import "$T/log" >/dev/null
"$AALEARN" review web --accept-all >/dev/null
cp "$T/pd/web" "$T/web.before"

# The parser forks a worker that holds its output open, then both sleep.
cat >"$T/parser" <<EOF
#!/bin/bash
sleep 300 &
echo \$! >"$T/worker.pid"
echo \$\$ >"$T/parser.pid"
echo "checking \$*"
sleep 300
EOF
chmod +x "$T/parser"

start=$(date +%s%N)
rc=0
AALEARN_PARSER_TIMEOUT=2 "$AALEARN" --parser "$T/parser" apply web \
    >"$T/out" 2>"$T/err" || rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$rc" = 2 ] || { cat "$T/out" "$T/err"; fail "apply exited $rc, expected 2"; }
grep -qF "did not finish" "$T/err" || { cat "$T/err"; fail "no timeout message"; }
grep -qF "AALEARN_PARSER_TIMEOUT" "$T/err" || { cat "$T/err"; fail "the message does not say how to wait longer"; }
[ "$ms" -lt 15000 ] || fail "apply took $ms ms with a 2 s deadline"
[ -f "$T/parser.pid" ] && [ -f "$T/worker.pid" ] || fail "the fake parser did not run"
# Both were killed at once (give the kernel a moment to reap the orphan).
for i in $(seq 50); do
	alive "$T/parser.pid" || alive "$T/worker.pid" || break
	sleep 0.1
done
alive "$T/parser.pid" && fail "the parser still runs"
alive "$T/worker.pid" && fail "the parser's worker still runs"
cmp -s "$T/pd/web" "$T/web.before" || fail "a timed-out check changed the profile"
! ls -A "$T/pd" | grep -q '^\.' || fail "temporary files left: $(ls -A "$T/pd")"

# A parser that answers in time is not disturbed by the deadline.
cat >"$T/parser" <<EOF
#!/bin/bash
sleep 0.5
exec apparmor_parser "\$@"
EOF
AALEARN_PARSER_TIMEOUT=20 "$AALEARN" --parser "$T/parser" apply web --no-reload \
    >"$T/out" 2>"$T/err" || { cat "$T/out" "$T/err"; fail "apply with a parser in time failed"; }
grep -qF "/srv/data/a.txt" "$T/pd/web" || fail "the accepted rule was not written"
echo "ok: parser stopped after ${ms} ms with its worker; a timely parser still works"
