#!/bin/bash
# `aalearn review` on a terminal (a pty from script(1)): one screen per
# proposal; accept, reject, edit the glob (an edit that drops evidence is
# refused), skip, quit; the decisions are stored and apply writes the
# edited rule.  `aalearn diff` is coloured on a terminal, plain with
# NO_COLOR, with --json or through a pipe.
set -euo pipefail

BUILD=${AALEARN_BUILD_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/build}
AALEARN=${AALEARN_BIN:-$BUILD/cli/aalearn}
command -v script >/dev/null || { echo "script(1) missing: skipped"; exit 0; }
T=$(mktemp -d /tmp/aalearn-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 700 "$T"
mkdir "$T/pd"
for d in abi abstractions tunables; do
	cp -a "/etc/apparmor.d/$d" "$T/pd/"
done
export AALEARN_DB=$T/db AALEARN_PROFILE_DIR=$T/pd
unset AALEARN_PARSER NO_COLOR
export AALEARN_SECURITYFS=$T/no-securityfs

fail() { echo "FAIL: $*" >&2; exit 1; }
# on_tty INPUT CMD: run CMD on a pty fed INPUT; output in $T/out
on_tty() {
	local input=$1
	shift
	printf '%s' "$input" | script -qec "$*" /dev/null >"$T/out" 2>&1 || true
}
has() { grep -qF -- "$1" "$T/out" || { cat -A "$T/out"; fail "output lacks '$1'"; }; }

old=$(( $(date +%s) - 3 * 86400 ))
"$AALEARN" init web --container >/dev/null
{
	for i in 1 2 3; do
		echo "type=AVC msg=audit($old.10$i:10$i): apparmor=\"ALLOWED\" operation=\"open\" profile=\"web\" name=\"/srv/app/in/job-$i.txt\" pid=42 comm=\"app\" requested_mask=\"r\" denied_mask=\"r\" fsuid=0 ouid=1000"
	done
	echo "type=AVC msg=audit($old.200:200): apparmor=\"ALLOWED\" operation=\"open\" profile=\"web\" name=\"/etc/app.conf\" pid=42 comm=\"app\" requested_mask=\"r\" denied_mask=\"r\" fsuid=0 ouid=1000"
	echo "type=AVC msg=audit($old.300:300): apparmor=\"ALLOWED\" operation=\"capable\" profile=\"web\" pid=42 comm=\"app\" capability=10 capname=\"net_bind_service\""
} >"$T/log"
"$AALEARN" import "$T/log" >/dev/null
"$AALEARN" --json review web >"$T/before.json" </dev/null

# The answers, in the order the screens come (the order of the proposals):
# reject the capability; edit the glob, first too narrow, then too
# broad, then right;
# skip anything else.
python3 - "$T/before.json" >"$T/answers" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
out = []
for p in d["proposals"]:
    if p["decision"] != "pending":
        continue
    if p["kind"] == "none":
        out += ["s"]
    elif p["class"] == "capability":
        out += ["r"]
    elif len(p["paths"]) > 1:
        out += ["e", p["paths"][0] + " r,", "e", "/** r,",
                "e", "/srv/app/in/job-[0-9].txt r,"]
    else:
        out += ["s"]
print("\n".join(out))
PY
glob_id=$(python3 -c 'import json,sys; print([p["id"] for p in json.load(open(sys.argv[1]))["proposals"] if len(p["paths"]) > 1][0])' "$T/before.json")
cap_id=$(python3 -c 'import json,sys; print([p["id"] for p in json.load(open(sys.argv[1]))["proposals"] if p["class"] == "capability"][0])' "$T/before.json")
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["proposals"]))' "$T/before.json")

on_tty "$(cat "$T/answers")"$'\n' "$AALEARN" review web
has "[1/$n] "
has "accept [a], reject [r], edit [e], skip [s], quit [q]?"
has "absorbs:  /srv/app/in/job-"
has "            /srv/app/in/job-"
has "that rule does not allow /srv/app/in/job-"
has ", which was seen; keep it in"
has "that rule would also allow /etc/shadow, which was never seen; narrow it"
has "1 accepted, 1 rejected, $((n - 2)) skipped; write them with 'aalearn apply web'"

"$AALEARN" --json review web >"$T/after.json" </dev/null
python3 - "$T/after.json" "$glob_id" "$cap_id" <<'PY' || fail "decisions were not stored as made"
import json, sys
d = json.load(open(sys.argv[1]))
by = {p["id"]: p for p in d["proposals"]}
g = by[sys.argv[2]]
assert g["decision"] == "accepted", g
assert g["rule"] == "/srv/app/in/job-[0-9].txt r,", g["rule"]
assert g["proposed"] != g["rule"]
assert sys.argv[3] not in by            # rejected: never proposed again
assert all(p["decision"] == "pending" for i, p in by.items() if i != sys.argv[2] and p["kind"] != "none")
PY
"$AALEARN" apply web >/dev/null
grep -qxF "  /srv/app/in/job-[0-9].txt r," "$T/pd/web" || fail "apply did not write the edited rule"
apparmor_parser -QK -I "$T/pd" "$T/pd/web" 2>/dev/null || fail "the profile does not parse"

# Quit at once: nothing decided.
on_tty $'q\n' "$AALEARN" review web
has "0 accepted, 0 rejected, 0 skipped"

# Colour on a terminal only.
esc=$'\033'
on_tty "" "$AALEARN" diff web
grep -q "${esc}\[32m+" "$T/out" || { cat -A "$T/out"; fail "diff on a terminal is not coloured"; }
on_tty "" env NO_COLOR=1 "$AALEARN" diff web
grep -q "$esc" "$T/out" && fail "NO_COLOR diff is coloured"
on_tty "" "$AALEARN" --json diff web
grep -q "$esc" "$T/out" && fail "--json diff is coloured"
"$AALEARN" diff web >"$T/out" || true
grep -q "$esc" "$T/out" && fail "piped diff is coloured"
echo "cli_review_tty: ok"
