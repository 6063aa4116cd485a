#!/bin/bash
# A profile shipped by a package keeps local additions in the file it
# includes with `include if exists <local/NAME>`: aalearn writes its block
# there, leaves the packaged file byte for byte, checks the packaged file
# with the new local text in place before replacing anything, and rolls
# the local file back to "absent" (empty).
set -euo pipefail

. "$(dirname "$0")/lib_cli.sh"

P=/usr/bin/svc
cat >"$T/pd/usr.bin.svc" <<'EOF'
# A packaged profile.
include <tunables/global>

/usr/bin/svc flags=(complain) {
  include <abstractions/base>

  /usr/bin/svc mr,

  include if exists <local/usr.bin.svc>
}
EOF
cp "$T/pd/usr.bin.svc" "$T/packaged"
old=$(( $(date +%s) - 3 * 86400 ))
cat >"$T/log" <<EOF
type=AVC msg=audit($old.100:101): apparmor="ALLOWED" operation="open" profile="$P" name="/var/lib/svc/state.db" pid=77 comm="svc" requested_mask="rw" denied_mask="rw" fsuid=0 ouid=1000
type=AVC msg=audit($old.200:102): apparmor="ALLOWED" operation="open" profile="$P" name="/usr/bin/svc" pid=77 comm="svc" requested_mask="r" denied_mask="r" fsuid=0 ouid=0
EOF
run 0 "$AALEARN" import "$T/log"

# The block goes into local/usr.bin.svc, which does not exist yet.
run 1 "$AALEARN" diff "$P"
has "--- /dev/null"
has "+++ b$T/pd/local/usr.bin.svc"
has "+/var/lib/svc/state.db rw,"
grep -qF "/usr/bin/svc" "$T/out" && fail "a rule the profile allows is proposed"
run 0 "$AALEARN" review "$P" --accept-all
has "1 accepted"

# A local/ file whose text breaks the profile: refused, nothing written.
mkdir -p "$T/pd/local"
printf '/srv/broken rr garbage,\n' >"$T/pd/local/usr.bin.svc"
run 2 "$AALEARN" apply "$P"
has_err "apparmor_parser rejected"
has_err "left unchanged"
[ "$(cat "$T/pd/local/usr.bin.svc")" = "/srv/broken rr garbage," ] || fail "a rejected local file was replaced"
[ -z "$(ls -A "$T/pd" | grep '^\.')" ] || fail "the check's overlay was left behind: $(ls -A "$T/pd")"
rm "$T/pd/local/usr.bin.svc"
rmdir "$T/pd/local"

run 0 "$AALEARN" apply "$P"
has "applied 1 rule to $T/pd/local/usr.bin.svc"
cmp -s "$T/pd/usr.bin.svc" "$T/packaged" || fail "apply changed the packaged file"
grep -qxF "/var/lib/svc/state.db rw," "$T/pd/local/usr.bin.svc" || fail "the local file lacks the rule"
apparmor_parser -QK -I "$T/pd" "$T/pd/usr.bin.svc" 2>/dev/null || fail "the profile does not parse with its local file"
run 0 "$AALEARN" check "$P"
has "all 2 observed accesses of '$P' are allowed by $T/pd/usr.bin.svc"
run 0 "$AALEARN" diff "$P"

run 0 "$AALEARN" --json history "$P"
python3 - "$T/out" "$T/pd/local/usr.bin.svc" <<'PY' || fail "history of the local file"
import json, sys
d = json.load(open(sys.argv[1]))
v = d["versions"]
assert [x["reason"] for x in v] == ["apply", "on disk before apply"], v
assert all(x["file"] == sys.argv[2] for x in v)
assert v[1]["bytes"] == 0 and v[0]["current"]
PY

# Rollback: the local file is empty again, the access not allowed again.
run 0 "$AALEARN" rollback "$P"
has "restored version 1"
[ ! -s "$T/pd/local/usr.bin.svc" ] || fail "rollback did not empty the local file"
cmp -s "$T/pd/usr.bin.svc" "$T/packaged" || fail "rollback changed the packaged file"
run 1 "$AALEARN" check "$P"
has "/var/lib/svc/state.db"

# Mode changes go to the packaged file: that is where flags live.
run 0 "$AALEARN" --json enforce "$P" --quiet 0 --force
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["file"] == sys.argv[2] and d["mode"] == "enforce" else 1)' "$T/out" "$T/pd/usr.bin.svc" ||
    fail "enforce did not write the packaged file"
grep -q 'complain' "$T/pd/usr.bin.svc" && fail "the complain flag is still there"

# Export: the profile and, for Kubernetes, the local file with it.
run 0 "$AALEARN" apply "$P"
run 0 "$AALEARN" export "$P" --format profile
cmp -s "$T/out" "$T/pd/usr.bin.svc" || fail "export --format profile"
has_err "also includes $T/pd/local/usr.bin.svc"
run 0 "$AALEARN" export "$P" --format k8s
has "name: aalearn-profile--usr-bin-svc"
has "  local-usr-bin-svc: |2"
has "    /var/lib/svc/state.db rw,"
echo "cli_local: ok"
