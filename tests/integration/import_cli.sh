#!/bin/bash
# aalearn import end to end: a synthetic auditd log (genlog.py) and the
# upstream corpus through the real binary into a real store.  The expected
# counts come from the log itself (Python reads it independently), never
# from the code under test.
set -euo pipefail

BUILD=${AALEARN_BUILD_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/build}
AALEARN=${AALEARN_BIN:-$BUILD/cli/aalearn}
SHARED=${AALEARN_SHARED:-$(cd "$(dirname "$0")/../../.." && pwd)/shared}
T=$(mktemp -d /tmp/aalearn-import.XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 700 "$T"
export AALEARN_DB=$T/db NO_COLOR=1

fail() { echo "FAIL: $*" >&2; exit 1; }
run() {
	local want=$1 rc=0
	shift
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	if [ "$rc" != "$want" ]; then
		echo "--- stdout"; cat "$T/out"; echo "--- stderr"; cat "$T/err"
		fail "'$*' exited $rc, expected $want"
	fi
}
# jeq KEY VALUE: the JSON summary on stdout has d[KEY...] == VALUE
jeq() {
	python3 - "$T/out" "$1" "$2" <<'EOF' || { cat "$T/out"; fail "JSON $1 != $2"; }
import json, sys
d = json.load(open(sys.argv[1]))
v = d
for k in sys.argv[2].split("."):
    v = v[k]
sys.exit(0 if str(v) == sys.argv[3] else 1)
EOF
}

# ------------------------------------------------- expectations from the log
python3 "$SHARED/tools/genlog.py" 20000 7 >"$T/log"
python3 - "$T/log" >"$T/expect" <<'EOF'
import re, sys
avc = other = syscalls = 0
keys = set()
def f(rec, k):
    m = re.search(r'(?:^| )' + k + r'=("([^"]*)"|(\S+))', rec)
    return None if m is None else (m.group(2) if m.group(2) is not None else m.group(3))
for line in open(sys.argv[1]):
    if line.startswith("type=AVC "):
        avc += 1
        rec = line.split("): ", 1)[1]
        op = f(rec, "operation")
        # The access each record asks for, named by the fields that tell
        # accesses apart; the mask is not part of the key.
        if op == "capable":
            k = ("cap", f(rec, "capname"))
        elif op == "create":
            k = ("net", f(rec, "family"), f(rec, "sock_type"), f(rec, "protocol"))
        elif op == "signal":
            k = ("signal", f(rec, "signal"), f(rec, "peer"))
        elif op == "ptrace":
            k = ("ptrace", f(rec, "peer"))
        elif op == "exec":
            k = ("exec", f(rec, "name"), f(rec, "target"))
        else:
            k = ("file", f(rec, "name"))
        keys.add((f(rec, "profile"),) + k)
    else:
        other += 1
        if line.startswith("type=SYSCALL "):
            syscalls += 1
print(avc, other, syscalls, len(keys))
EOF
read -r AVC OTHER SYSCALLS DISTINCT <"$T/expect"
echo "log: $AVC AppArmor records, $OTHER other lines, $SYSCALLS SYSCALL, $DISTINCT distinct accesses"

# ------------------------------------------------------------ a first import
run 0 "$AALEARN" --json import "$T/log"
jeq records "$AVC"
jeq skipped "$OTHER"
jeq malformed 0
# genlog writes a SYSCALL after the AVC of the same event: each one joins.
jeq joined "$SYSCALLS"
jeq observations.new "$DISTINCT"
# "updated" counts puts into stored rows: a key met again in a later batch
# of this import is one (how many batches there are depends on how fast
# the reader and the writer run, so only bounds hold): each put comes from
# at least one record, so at most the records beyond one per access.
# jcmp KEY OP VALUE: d[KEY...] OP VALUE, OP one of <= >=
jcmp() {
	python3 - "$T/out" "$1" "$2" "$3" <<'EOF' || { cat "$T/out"; fail "JSON $1 $2 $3 fails"; }
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[k]
a, b = int(v), int(sys.argv[4])
sys.exit(0 if (a <= b if sys.argv[3] == "<=" else a >= b) else 1)
EOF
}
jcmp observations.updated "<=" $((AVC - DISTINCT))
jeq overflow 0
jeq rejected 0
[ -s "$T/err" ] && { cat "$T/err"; fail "import wrote to stderr"; }
[ "$(stat -c %a "$T/db")" = 600 ] || fail "store is not 0600"
# Bulk loading turns SQLite's foreign key checks off: every reference must
# still hold, and the file must be whole.
python3 - "$T/db" <<'EOF' || fail "store integrity after import"
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
bad = db.execute("PRAGMA foreign_key_check").fetchall()
assert bad == [], bad
n = db.execute("SELECT count(*) FROM observations o LEFT JOIN profiles p "
               "ON p.id = o.profile_id LEFT JOIN containers c "
               "ON c.id = o.container_id WHERE p.id IS NULL OR c.id IS NULL").fetchone()[0]
assert n == 0, n
EOF

# The same log again: nothing new, every access counted again.
run 0 "$AALEARN" --json import "$T/log"
jeq records "$AVC"
jeq observations.new 0
jcmp observations.updated ">=" "$DISTINCT"
jcmp observations.updated "<=" "$AVC"

# ---------------------------------------------------------- stdin, text mode
rm -f "$T/db"*
tail -n +1 "$T/log" | run 0 "$AALEARN" import -
grep -q "^records *$AVC " "$T/out" || { cat "$T/out"; fail "text summary records"; }
grep -q "^observations *$DISTINCT new, [0-9]* updated" "$T/out" ||
	{ cat "$T/out"; fail "text summary observations"; }
# No progress bar when stderr is not a terminal.
[ -s "$T/err" ] && { cat "$T/err"; fail "progress written to a non-terminal"; }

# ------------------------------------- line endings, a last line, bad inputs
rm -f "$T/db"*
printf 'type=AVC msg=audit(1700000000.001:1): apparmor="ALLOWED" operation="open" profile="crlf" name="/a" pid=1 comm="c" requested_mask="r" denied_mask="r"\r\n' >"$T/odd"
printf 'type=AVC msg=audit(1700000000.002:2): apparmor="ALLOWED" operation="open" profile="crlf" name="/b" pid=1 comm="c" requested_mask="r" denied_mask="r"' >>"$T/odd"
run 0 "$AALEARN" --json import "$T/odd"
jeq records 2
jeq observations.new 2
# A line longer than any record, and binary junk, do not stop the import.
{ head -c 3000000 /dev/zero | tr '\0' 'x'; echo; head -c 65536 /dev/urandom; echo;
  sed -n 1p "$T/log"; } >"$T/junk"
run 0 "$AALEARN" --json import "$T/junk"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["records"] >= 1 and d["malformed"] >= 1 else 1)' "$T/out" ||
	{ cat "$T/out"; fail "junk"; }
# A missing file: exit 2, named on stderr, the other files still imported.
run 2 "$AALEARN" --json import "$T/nope" "$T/odd"
grep -q "nope" "$T/err" || fail "missing file not named"
jeq records 2
jeq errors 1
run 2 "$AALEARN" import
run 2 "$AALEARN" import --frobnicate "$T/odd"
run 0 "$AALEARN" import --help

# ------------------------------------------------ the upstream corpus, whole
rm -f "$T/db"*
cat "$SHARED"/corpus/libapparmor-test_multi/*.in >"$T/corpus"
run 0 "$AALEARN" --json import "$T/corpus"
python3 - "$T/out" <<'EOF' || { cat "$T/out"; fail "corpus import"; }
import json, sys
d = json.load(open(sys.argv[1]))
print("corpus:", d)
sys.exit(0 if d["records"] >= 150 and d["observations"]["new"] > 50 else 1)
EOF

# --------------------------- a slow pipe: committed while the import runs
# Like `tail -f audit.log | aalearn import -`: the input never fills a batch,
# yet what arrived must reach the store within seconds, not only at EOF.
# The final counts stay exact across the several transactions.
rm -f "$T/db"*
python3 - "$AALEARN" "$T/log" "$T/db" "$DISTINCT" <<'EOF' || fail "slow pipe"
import json, subprocess, sys, time
aalearn, log, db, distinct = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
lines = open(log, "rb").read().splitlines(keepends=True)
half = len(lines) // 2
p = subprocess.Popen([aalearn, "--db", db, "--json", "import", "-"],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
p.stdin.write(b"".join(lines[:half]))
p.stdin.flush()
def stored():
    r = subprocess.run([aalearn, "--db", db, "--json", "profiles"],
                       capture_output=True)
    if r.returncode != 0:
        return 0
    return sum(x["observations"] for x in json.loads(r.stdout)["profiles"])
# Keep the pipe open and trickle a line now and then (the reader looks at
# the clock as records arrive); the first half must show up meanwhile.
seen, i = 0, half
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    p.stdin.write(lines[i]); p.stdin.flush(); i += 1
    time.sleep(0.05)
    seen = stored()
    if seen > 0:
        break
assert p.poll() is None, "import ended early"
assert seen > 0, "nothing committed while the import ran"
print("slow pipe: %d observations stored before EOF, after %d more lines" % (seen, i - half))
p.stdin.write(b"".join(lines[i:]))
p.stdin.close()
d = json.loads(p.stdout.read())
assert p.wait() == 0
assert d["observations"]["new"] == distinct, d
assert d["transactions"] >= 2, d
assert stored() == distinct
EOF

# ------------------------------------------------ the progress bar on a tty
rm -f "$T/db"*
python3 - "$AALEARN" "$T/log" <<'EOF' || fail "progress bar"
import os, pty, subprocess, sys, time
aalearn, log = sys.argv[1], sys.argv[2]
master, slave = pty.openpty()
p = subprocess.Popen([aalearn, "import", "-"], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, stderr=slave)
os.close(slave)
lines = open(log, "rb").read().splitlines(keepends=True)
# Slowly enough that the import lasts more than the bar's half second.
for i in range(0, len(lines), 2000):
    p.stdin.write(b"".join(lines[i:i + 2000]))
    p.stdin.flush()
    time.sleep(0.12)
p.stdin.close()
out = p.stdout.read().decode()
p.wait()
err = b""
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:
        break
    if not chunk:
        break
    err += chunk
    if p.poll() is not None and len(chunk) < 65536:
        break
err = err.decode(errors="replace")
print("tty stderr:", repr(err[-160:]))
assert p.returncode == 0, p.returncode
assert "records/s" in err, "no progress on the terminal"
assert "\r" in err
assert "records" in out
EOF

echo "import_cli: ok"
