#!/bin/bash
# Names chosen by the confined process reach the terminal, JSON and the
# profile safely: a name holding a newline, an escape sequence, quotes,
# braces, ", /** rwx", "@{", or bytes that are not UTF-8 is shown escaped,
# round-trips through JSON, and after review --accept-all + apply the
# profile still parses and allows none of a set of sensitive accesses that
# the evidence never touched.
set -euo pipefail

. "$(dirname "$0")/lib_cli.sh"
# no_raw FILE: no control byte but newline and tab, no escape sequence.
no_raw() {
	python3 - "$1" <<'PY' || fail "raw control bytes in $1"
import sys
data = open(sys.argv[1], "rb").read()
bad = [b for b in data if (b < 0x20 and b not in (0x0a, 0x09)) or b == 0x7f]
sys.exit(1 if bad else 0)
PY
}

run 0 "$AALEARN" init web --container
cp "$T/pd/web" "$T/web.before"
old=$(( $(date +%s) - 3 * 86400 ))
# Hex-encoded names, as the kernel logs names with unusual bytes.
python3 - "$old" >"$T/log" <<'PY'
import sys
t = sys.argv[1]
names = [
    b"/tmp/x, /** rwx",
    b"/tmp/a\nb",
    b"/tmp/\x1b[31mred\x1b[0m",
    b'/srv/q"{a,b}',
    b"/tmp/\xff\xfe",
    b"/tmp/@{HOME}",
    b"/srv/app/ok.txt",
]
for i, n in enumerate(names):
    print('type=AVC msg=audit(%s.%03d:%d): apparmor="ALLOWED" operation="open" '
          'profile="web" name=%s pid=4242 comm="app" requested_mask="r" '
          'denied_mask="r" fsuid=0 ouid=1000' % (t, i, 300 + i, n.hex().upper()))
PY
run 0 "$AALEARN" import "$T/log"

run 0 "$AALEARN" show web
no_raw "$T/out"
grep -qF '/tmp/a\x0ab' "$T/out" || { cat "$T/out"; fail "a newline in a name is not shown as \\x0a"; }
grep -qF '/tmp/\x1b[31mred\x1b[0m' "$T/out" || fail "an escape sequence is not shown escaped"
grep -qF '"/tmp/x, /** rwx"' "$T/out" || fail "a name with a comma is not shown quoted"
grep -qF '/tmp/\xff\xfe' "$T/out" || fail "bytes that are not UTF-8 are not shown as \\xHH"

run 0 "$AALEARN" --json show web
python3 - "$T/out" <<'PY' || fail "JSON does not carry the names"
import json, sys
d = json.load(open(sys.argv[1]))
names = {a["fields"][0] for a in d["accesses"]}
want = {"/tmp/x, /** rwx", "/tmp/a\nb", "/tmp/\x1b[31mred\x1b[0m", '/srv/q"{a,b}',
        "/tmp/\udcff\udcfe", "/tmp/@{HOME}", "/srv/app/ok.txt"}
assert names == want, names
# Bytes that are not UTF-8 come back exactly (surrogateescape).
assert "/tmp/\udcff\udcfe".encode("utf-8", "surrogateescape") == b"/tmp/\xff\xfe"
PY

rc=0
"$AALEARN" diff web >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 1 ] || fail "diff exited $rc"
no_raw "$T/out"
no_raw "$T/err"
run 1 "$AALEARN" --json diff web
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/out" || fail "diff --json is not JSON"

run 0 "$AALEARN" review web --accept-all
no_raw "$T/out"
run 0 "$AALEARN" apply web
apparmor_parser -QK -I "$T/pd" "$T/pd/web" 2>"$T/err" || { cat "$T/err"; fail "the applied profile does not parse"; }
# One line per rule: no name broke a line of the profile.
python3 - "$T/pd/web" <<'PY' || fail "a rule spans lines or holds control bytes"
import sys
data = open(sys.argv[1], "rb").read()
inside = False
for line in data.split(b"\n"):
    s = line.strip()
    if s.startswith(b"# aalearn:begin"):
        inside = True
        continue
    if s.startswith(b"# aalearn:end"):
        inside = False
        continue
    if inside and s and not s.startswith(b"#"):
        assert s.endswith(b","), line
        assert all(b >= 0x20 and b != 0x7f for b in s), line
PY

# Sensitive accesses the evidence never touched stay outside the profile.
python3 - "$old" >"$T/log2" <<'PY'
import sys
t = sys.argv[1]
for i, n in enumerate([b"/etc/shadow", b"/root/.ssh/id_rsa", b"/tmp/y",
                       b"/proc/sys/kernel/core_pattern", b"/var/run/docker.sock",
                       b"/tmp/x", b"/srv/qa", b"/tmp/a"]):
    print('type=AVC msg=audit(%s.%03d:%d): apparmor="ALLOWED" operation="open" '
          'profile="web" name=%s pid=4242 comm="app" requested_mask="r" '
          'denied_mask="r" fsuid=0 ouid=1000' % (t, 500 + i, 400 + i, n.hex().upper()))
PY
run 0 "$AALEARN" import "$T/log2"
run 1 "$AALEARN" --json check web
python3 - "$T/out" <<'PY' || fail "the profile allows what the evidence never asked for"
import json, sys
d = json.load(open(sys.argv[1]))
bad = {a["fields"][0] for a in d["not_allowed"]}
for n in ["/etc/shadow", "/root/.ssh/id_rsa", "/tmp/y", "/proc/sys/kernel/core_pattern",
          "/var/run/docker.sock", "/tmp/x", "/srv/qa", "/tmp/a"]:
    assert n in bad, n
# The plain name that was accepted is allowed.
assert "/srv/app/ok.txt" not in bad
PY

# A name no rule can state exactly ("//" is folded by the parser): no rule
# to accept, and enforce refuses until it is acknowledged (rejected),
# since enforce mode would deny it.
echo "type=AVC msg=audit($old.700:700): apparmor=\"ALLOWED\" operation=\"open\" profile=\"web\" name=\"/tmp//double\" pid=4242 comm=\"app\" requested_mask=\"r\" denied_mask=\"r\" fsuid=0 ouid=1000" >"$T/log3"
run 0 "$AALEARN" import "$T/log3"
# Reject the ordinary proposals of the sensitive accesses first.
run 1 "$AALEARN" --json diff web
rules=$(python3 -c 'import json,sys; print(" ".join(p["id"] for p in json.load(open(sys.argv[1]))["proposals"] if p["kind"] != "none"))' "$T/out")
none=$(python3 -c 'import json,sys; print(" ".join(p["id"] for p in json.load(open(sys.argv[1]))["proposals"] if p["kind"] == "none"))' "$T/out")
[ -n "$none" ] || fail "no 'none' proposal for a name holding //"
# shellcheck disable=SC2086
[ -z "$rules" ] || run 0 "$AALEARN" review web --reject $rules
run 0 "$AALEARN" diff web
grep -qF "no safe rule for file /tmp//double" "$T/err" || { cat "$T/err"; fail "diff does not say which access has no safe rule"; }
run 2 "$AALEARN" review web --accept "${none%% *}"
grep -qF "has no safe rule to accept" "$T/err" || { cat "$T/err"; fail "accepting a 'none' proposal"; }
run 1 "$AALEARN" enforce web --quiet 0
grep -qF "no safe rule and would be denied" "$T/err" || { cat "$T/err"; fail "enforce does not name the reason"; }
# shellcheck disable=SC2086
run 0 "$AALEARN" review web --reject $none
run 0 "$AALEARN" enforce web --quiet 0
grep -q 'flags=(.*complain' "$T/pd/web" && fail "enforce did not promote"
echo "cli_hostile: ok"
