#!/bin/bash
# Hostile names end to end: records whose names carry every character
# AppArmor's globbing treats specially, every control byte, bytes that are
# not UTF-8 and 4 KiB lengths, logged the way the kernel logs them (hex when
# a value holds a space, a quote, a control byte or a byte above 0x7e).
# After import, review --accept-all and apply --no-reload:
#  - apparmor_parser -QK accepts the profile;
#  - every name is allowed by it (aalearn check --baseline, a fresh store
#    of the original log);
#  - no rule matches anything beyond its own name: near neighbours of every
#    name (a suffix, a child, a prefix, the last byte changed, a sibling,
#    the parent's glob spelled literally) and sensitive paths, imported into
#    a second store, are all listed as not allowed by aalearn check.
# cli_hostile.sh covers display, JSON and "//"; this one covers breadth.
set -euo pipefail

BUILD=${AALEARN_BUILD_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/build}
AALEARN=${AALEARN_BIN:-$BUILD/cli/aalearn}
T=$(mktemp -d /tmp/aalearn-hostile.XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 700 "$T"
mkdir "$T/pd"
for d in abi abstractions tunables; do
	cp -a "/etc/apparmor.d/$d" "$T/pd/"
done
export AALEARN_PROFILE_DIR=$T/pd NO_COLOR=1
unset AALEARN_PARSER AALEARN_DB
export AALEARN_SECURITYFS=$T/no-securityfs

fail() { echo "FAIL: $*" >&2; exit 1; }

"$AALEARN" --db "$T/db" init web --container >/dev/null

# names.py MODE: writes the log of the evidence (MODE=evidence) or of the
# near neighbours (MODE=neighbours) and a JSON list of the names beside it.
cat >"$T/names.py" <<'PY'
import json, sys, time

mode, out = sys.argv[1], sys.argv[2]
t = int(time.time()) - 3 * 86400

special = b'*?[]{},^@$"\\#=+!~-()<>|&;\':%.'
names = []
# Each name in a directory of its own: the evidence of one name never
# suggests a glob over its siblings.
def add(tail):
    names.append(b"/srv/h%d/%s" % (len(names), tail))
for c in special:
    ch = bytes([c])
    add(b"a" + ch + b"b")
    add(ch)
    add(ch * 3)
for c in list(range(1, 0x20)) + [0x7f]:
    add(b"ctl" + bytes([c]) + b"end")
for c in (0x80, 0xa0, 0xbf, 0xc0, 0xc3, 0xe2, 0xed, 0xf0, 0xf8, 0xfe, 0xff):
    add(b"utf" + bytes([c]) + b"x")
add(b"\xc0\xaf")             # overlong "/"
add(b"\xed\xa0\x80")         # a surrogate
add(b"\xe2\x82")             # a truncated sequence
add(b"caf\xc3\xa9")          # valid UTF-8, not ASCII
add(b"sp ace")
add(b"x, /** rwx,")
add(b"@{HOME}")
add(b"@{PROC}/1/mem")
add(b"{a,b}")
add(b"[a-z]")
add(b"[^a]")
add(b"\\*")
add(b"**")
add(b"a/**")
add(b"deny /etc/shadow r")
add(b"}\nprofile evil {\n  /** rwx,\n")
add(b"a" * 4000)
add(b"*{?" * 1300)
add(b"/".join([b"d" * 250] * 16))
add(b"\x01\xff*" * 1300)

def line(i, n, mask, sub):
    # The kernel's rule (audit_string_contains_control): hex when a value
    # holds '"', a byte below 0x21 or above 0x7e.
    if any(b == 0x22 or b < 0x21 or b > 0x7e for b in n):
        v = n.hex().upper()
    else:
        v = '"' + n.decode() + '"'
    op = "open" if mask == "r" else "mknod"
    return ('type=AVC msg=audit(%d.%03d:%d): apparmor="ALLOWED" '
            'operation="%s" profile="web" name=%s pid=4242 comm="app" '
            'requested_mask="%s" denied_mask="%s" fsuid=0 ouid=1000'
            % (t, sub % 1000, 1000 + sub, op, v, mask, mask))

evidence = set(names)
if mode == "evidence":
    todo = names
else:
    todo = []
    def near(x):
        if x not in evidence and len(x) < 4090 and x not in todo:
            todo.append(x)
    for n in names:
        parent = n.rsplit(b"/", 1)[0]
        near(n + b"x")
        near(n + b"/x")
        near(n[:-1])
        near(n[:-1] + (b"Z" if n[-1:] != b"Z" else b"Y"))
        near(parent + b"/other")
        near(parent + b"/*")
        near(parent + b"/" + n.rsplit(b"/", 1)[1] + b"/")
    for s in [b"/etc/shadow", b"/root/.ssh/id_rsa", b"/srv/secret",
              b"/proc/1/mem", b"/srv/h", b"/srv/hx/a", b"/", b"/srv/",
              b"/var/run/docker.sock"]:
        near(s)
with open(out, "w") as f:
    for i, n in enumerate(todo):
        f.write(line(i, n, "r" if i % 2 == 0 else "w", i) + "\n")
json.dump([n.decode("utf-8", "surrogateescape") for n in todo],
          open(out + ".json", "w"))
PY

python3 "$T/names.py" evidence "$T/log"
python3 "$T/names.py" neighbours "$T/near"
n_names=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/log.json")
n_near=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/near.json")

"$AALEARN" --db "$T/db" import "$T/log" >"$T/out" 2>"$T/err" ||
    { cat "$T/out" "$T/err"; fail "import of the hostile log failed"; }
"$AALEARN" --db "$T/db" --json show web >"$T/show.json"
python3 - "$T/show.json" "$T/log.json" <<'PY' || fail "the store does not hold every name exactly"
import json, sys
d = json.load(open(sys.argv[1]))
got = {a["fields"][0] for a in d["accesses"]}
want = set(json.load(open(sys.argv[2])))
missing = want - got
extra = got - want
assert not missing, sorted(missing)[:5]
assert not extra, sorted(extra)[:5]
PY

"$AALEARN" --db "$T/db" review web --accept-all >"$T/out" 2>"$T/err" ||
    { cat "$T/err"; fail "review --accept-all failed"; }
rc=0
AALEARN_PARSER_TIMEOUT=${AALEARN_PARSER_TIMEOUT:-120} \
    "$AALEARN" --db "$T/db" apply web --no-reload >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 0 ] || { cat "$T/out" "$T/err"; fail "apply exited $rc"; }
timeout 300 apparmor_parser -QK -I "$T/pd" "$T/pd/web" 2>"$T/err" ||
    { cat "$T/err"; fail "apparmor_parser -QK rejects the applied profile"; }

# The evidence, checked against the written profile from a fresh store:
# every name with a rule is allowed.
"$AALEARN" --db "$T/db-evidence" import "$T/log" >/dev/null
rc=0
"$AALEARN" --db "$T/db-evidence" --json check web --baseline "$T/pd/web" \
    >"$T/check1.json" 2>"$T/err" || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 1 ] || { cat "$T/err"; fail "check exited $rc"; }
python3 - "$T/check1.json" "$T/log.json" <<'PY' || fail "a name that got a rule is not allowed"
import json, sys
chk = json.load(open(sys.argv[1]))
bad = {a["fields"][0] for a in chk["not_allowed"]}
names = json.load(open(sys.argv[2]))
for n in sorted(bad)[:20]:
    print("  no rule: %r" % n)
assert not bad, "%d of %d names not allowed" % (len(bad), len(names))
PY

# The near neighbours, from a second store: none is allowed.
"$AALEARN" --db "$T/db-near" import "$T/near" >/dev/null
rc=0
"$AALEARN" --db "$T/db-near" --json check web --baseline "$T/pd/web" \
    >"$T/check2.json" 2>"$T/err" || rc=$?
[ "$rc" = 1 ] || { cat "$T/err"; fail "check of the neighbours exited $rc, expected 1"; }
python3 - "$T/check2.json" "$T/near.json" <<'PY' || fail "a rule matches more than its own name"
import json, sys
chk = json.load(open(sys.argv[1]))
bad = {a["fields"][0] for a in chk["not_allowed"]}
near = json.load(open(sys.argv[2]))
leaks = [n for n in near if n not in bad]
for n in leaks[:20]:
    print("  allowed but never seen: %r" % n)
assert not leaks, "%d of %d neighbours allowed" % (len(leaks), len(near))
print("neighbours %d, none allowed" % len(near))
PY

# The neighbour check can fail: one broad rule more, and it does.
sed 's|^\(\s*# aalearn:end\)|  /srv/** rw,\n\1|' "$T/pd/web" >"$T/web.broad"
grep -qF '/srv/** rw,' "$T/web.broad" || fail "could not make the broad profile"
"$AALEARN" --db "$T/db-near" --json check web --baseline "$T/web.broad" \
    >"$T/check3.json" 2>/dev/null || true
python3 - "$T/check3.json" "$T/near.json" <<'PY' || fail "a broad rule went unnoticed"
import json, sys
bad = {a["fields"][0] for a in json.load(open(sys.argv[1]))["not_allowed"]}
near = json.load(open(sys.argv[2]))
assert len([n for n in near if n not in bad]) > len(near) // 2
PY
echo "ok: $n_names hostile names, $n_near neighbours"
