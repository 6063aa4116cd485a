#!/bin/bash
# The CLI end to end, as a CI job and an operator use it: init a container
# profile, import a log, look at it (profiles, show, status), diff, review,
# apply, check, enforce (refused, then allowed), complain, history,
# rollback, export; text and --json output asserted.
set -euo pipefail

. "$(dirname "$0")/lib_cli.sh"
# json EXPR: evaluate a Python expression over the JSON on stdout (as d)
json() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
	    "$T/out" "$1" || { cat "$T/out"; fail "JSON check failed: $1"; }
}

now=$(date +%s)
old=$((now - 3 * 86400))

# ------------------------------------------------------------------ init
run 0 "$AALEARN" init web --container --runtime podman
has "wrote $T/pd/web"
has "complain mode"
has "podman run --security-opt apparmor=web"
has "docker run --security-opt apparmor=web"
has 'security_opt: ["apparmor=web"]'
has "localhostProfile: web"
has "the kernel has no AppArmor"
[ -f "$T/pd/web" ] || fail "init wrote no file"
apparmor_parser -QK -I "$T/pd" "$T/pd/web" 2>/dev/null || fail "init's profile does not parse"
grep -q 'flags=(.*complain' "$T/pd/web" || fail "init's profile is not in complain mode"
# Nothing else was written in the profile directory (no temporary files left).
[ "$(ls -A "$T/pd" | sort | tr '\n' ' ')" = "abi abstractions tunables web " ] ||
    fail "unexpected files in the profile dir: $(ls -A "$T/pd")"
run 2 "$AALEARN" init web --container
has_err "profile 'web' already exists in $T/pd/web"
run 0 "$AALEARN" --json init api --container --no-reload
json 'd["profile"] == "api" and d["loaded"] is False and d["mode"] == "complain" and d["version"] >= 1'
json 'd["run"]["kubernetes"]["securityContext"]["appArmorProfile"] == {"type": "Localhost", "localhostProfile": "api"}'

# ---------------------------------------------------------------- import
cat >"$T/log" <<EOF
type=AVC msg=audit($old.100:101): apparmor="ALLOWED" operation="open" profile="web" name="/srv/app/in/job-1.txt" pid=4242 comm="app" requested_mask="r" denied_mask="r" fsuid=0 ouid=0
type=AVC msg=audit($old.200:102): apparmor="ALLOWED" operation="open" profile="web" name="/srv/app/in/job-2.txt" pid=4242 comm="app" requested_mask="r" denied_mask="r" fsuid=0 ouid=0
type=AVC msg=audit($old.300:103): apparmor="ALLOWED" operation="open" profile="web" name="/srv/app/in/job-3.txt" pid=4242 comm="app" requested_mask="r" denied_mask="r" fsuid=0 ouid=0
type=AVC msg=audit($old.400:104): apparmor="ALLOWED" operation="open" profile="web" name="/etc/app.conf" pid=4242 comm="app" requested_mask="r" denied_mask="r" fsuid=0 ouid=1000
type=AVC msg=audit($old.500:105): apparmor="ALLOWED" operation="capable" profile="web" pid=4242 comm="app" capability=10 capname="net_bind_service"
type=AVC msg=audit($old.600:106): apparmor="ALLOWED" operation="open" profile="web" name="/var/log/app.log" pid=4242 comm="app" requested_mask="w" denied_mask="w" fsuid=0 ouid=1000
EOF
run 0 "$AALEARN" import "$T/log"

# -------------------------------------------------------- profiles, show
run 0 "$AALEARN" profiles
has "PROFILE"
grep -E '^web +complain +[0-9]+ +6 +[1-9][0-9]* ' "$T/out" >/dev/null ||
    { cat "$T/out"; fail "profiles: web should show complain, 6 observations, proposals pending"; }
run 0 "$AALEARN" profiles --json
json '[p for p in d["profiles"] if p["name"] == "web"][0]["observations"] == 6'
json '[p for p in d["profiles"] if p["name"] == "web"][0]["mode"] == "complain"'
json '[p for p in d["profiles"] if p["name"] == "web"][0]["pending"] >= 1'
json '[p for p in d["profiles"] if p["name"] == "web"][0]["file"] == "'"$T/pd/web"'"'

run 0 "$AALEARN" show web
has "/srv/app/in/job-2.txt r"
has "capability"
has "net_bind_service"
has "1 allowed, 0 denied"
run 0 "$AALEARN" --json show web
json 'len(d["accesses"]) == 6'
json 'sorted(a["fields"][0] for a in d["accesses"] if a["class"] == "file") == ["/etc/app.conf", "/srv/app/in/job-1.txt", "/srv/app/in/job-2.txt", "/srv/app/in/job-3.txt", "/var/log/app.log"]'
json 'all(a["allowed"] == 1 and a["denied"] == 0 and a["host"] for a in d["accesses"])'
run 0 "$AALEARN" show nosuch
has "no observations for 'nosuch'"
# Imported records go to the host: --container host shows them, an id not.
run 0 "$AALEARN" --json show web --container host
json 'len(d["accesses"]) == 6 and d["container"] == ""'
run 0 "$AALEARN" --json show --container 0123abcd web
json 'd["accesses"] == [] and d["container"] == "0123abcd"'
run 2 "$AALEARN" show web --container
has_err "usage: aalearn show"

run 0 "$AALEARN" status
has "sources"
has "import"
has "profiles"
run 0 "$AALEARN" status --json
json '[s for s in d["sources"] if s["source"] == "import"][0]["read"] >= 6'
json 'any(p["name"] == "web" for p in d["profiles"])'

# ------------------------------------------------------------------ diff
cp "$T/pd/web" "$T/web.before"
run 1 "$AALEARN" diff web
has "--- a$T/pd/web"
has "+++ b$T/pd/web"
has "+  capability net_bind_service,"
# Every added rule carries its evidence: a comment naming its id just before.
python3 - "$T/out" <<'PY' || fail "diff: a rule without its evidence comment"
import re, sys
lines = open(sys.argv[1]).read().splitlines()
added = [l[1:] for l in lines if l.startswith("+") and not l.startswith("+++")]
rules = [i for i, l in enumerate(added) if l.strip() and not l.strip().startswith("#")]
assert rules, "no rule added"
for i in rules:
    j = i - 1
    while j >= 0 and added[j].strip().startswith("#   "):
        j -= 1
    assert j >= 0 and re.match(r"\s*# aalearn [0-9a-f]{16} \(pending\)", added[j]), added[i]
PY
# The diff is a real unified diff: patch(1) turns the old file into the new.
cp "$T/pd/web" "$T/patched"
patch -s "$T/patched" <"$T/out" || fail "patch(1) rejects the diff"
grep -qF "capability net_bind_service," "$T/patched" || fail "patched file lacks the rule"
cmp -s "$T/pd/web" "$T/web.before" || fail "diff modified the profile"
run 1 "$AALEARN" --json diff web
json 'd["changes"] is True and d["rules"] >= 3 and d["diff"].startswith("--- ")'
json 'all(len(p["id"]) == 16 and p["decision"] == "pending" for p in d["proposals"] if p["kind"] != "none")'
cp "$T/out" "$T/diff.json"

# ---------------------------------------------------------------- review
# Without a terminal and without flags: the proposals are listed.
run 0 "$AALEARN" review web </dev/null
has "decide with 'aalearn review web --accept-all'"
cap_id=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([p["id"] for p in d["proposals"] if p["class"] == "capability"][0])' "$T/diff.json")
log_id=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([p["id"] for p in d["proposals"] if p["rule"] and "/var/log/app.log" in p["rule"]][0])' "$T/diff.json")
run 2 "$AALEARN" review web --accept 0000000000000000
has_err "no proposal '0000000000000000' for 'web'"
run 0 "$AALEARN" review web --reject "$cap_id"
has "rejected $cap_id"
has "0 accepted, 1 rejected"
# enforce refuses while proposals are pending, naming the reason.
run 1 "$AALEARN" enforce web --quiet 0
has_err "not promoting 'web' to enforce mode"
has_err "pending; decide with 'aalearn review web'"
cmp -s "$T/pd/web" "$T/web.before" || fail "refused enforce changed the file"
run 1 "$AALEARN" --json enforce web --quiet 0
json 'd["changed"] is False and any("pending" in r for r in d["refused"])'
# A prefix of 4+ digits names a proposal.
run 0 "$AALEARN" review web --accept "${log_id:0:6}"
has "accepted $log_id"
run 0 "$AALEARN" --json review web --accept-all
json 'd["accepted"] >= 1 and all(p["decision"] == "accepted" for p in d["proposals"] if p["kind"] != "none")'
json 'not any(p["id"] == "'"$cap_id"'" for p in d["proposals"])'
# The rejected rule is never proposed again.
run 1 "$AALEARN" diff web
grep -qF "capability net_bind_service" "$T/out" && fail "a rejected rule is proposed again"
has "(accepted)"
# enforce: accepted rules not applied yet.
run 1 "$AALEARN" enforce web --quiet 0
has_err "not applied yet; run 'aalearn apply web'"

# ----------------------------------------------------------------- apply
run 0 "$AALEARN" apply web
has "applied"
has "to $T/pd/web (version"
has "the kernel has no AppArmor"
grep -qF "/var/log/app.log w," "$T/pd/web" || fail "apply did not write the accepted rule"
grep -qF "# aalearn:begin" "$T/pd/web" || fail "no aalearn block"
apparmor_parser -QK -I "$T/pd" "$T/pd/web" 2>/dev/null || fail "applied profile does not parse"
# Outside aalearn's block, the file is unchanged line for line.
diff <(grep -v -e '^ *# aalearn' -e '^  /' -e '^  owner /' "$T/web.before") \
     <(grep -v -e '^ *# aalearn' -e '^  /' -e '^  owner /' "$T/pd/web") >/dev/null ||
    fail "apply changed the profile outside its block"
ls -A "$T/pd" | grep -q '^\.' && fail "temporary files left in the profile dir"
run 0 "$AALEARN" diff web
[ ! -s "$T/out" ] || fail "diff after apply is not empty"
run 0 "$AALEARN" --json apply web
json 'd["applied"] == [] and d["version"] is None'
# A second round: new evidence, one more rule into the existing block.
cp "$T/pd/web" "$T/web.round1"
echo "type=AVC msg=audit($old.700:107): apparmor=\"ALLOWED\" operation=\"open\" profile=\"web\" name=\"/srv/app/cache/index.bin\" pid=4242 comm=\"app\" requested_mask=\"r\" denied_mask=\"r\" fsuid=0 ouid=1000" >"$T/log1b"
run 0 "$AALEARN" import "$T/log1b"
run 1 "$AALEARN" diff web
has "+  /srv/app/cache/index.bin r,"
[ "$(grep -c '^+  [^#]' "$T/out")" = 1 ] || fail "the second diff adds more than the new rule"
grep '^-' "$T/out" | grep -qv '^---' && fail "the second diff removes lines"
cp "$T/pd/web" "$T/patched2"
patch -s "$T/patched2" <"$T/out" || fail "patch(1) rejects the second diff"
run 0 "$AALEARN" review web --accept-all
run 0 "$AALEARN" apply web
[ "$(sed -n '/aalearn:begin/,/aalearn:end/p' "$T/pd/web" | grep -c 'aalearn:begin')" = 1 ] || fail "a second aalearn block"
grep -qF "/srv/app/cache/index.bin r," "$T/pd/web" || fail "the second apply lost its rule"
grep -qF "/var/log/app.log w," "$T/pd/web" || fail "the second apply dropped a rule of the first"

# ----------------------------------------------------------------- check
# The rejected capability is observed but not allowed.
run 1 "$AALEARN" check web
has "not allowed by $T/pd/web"
has "net_bind_service"
has "1 of 7 observed accesses of 'web' are not allowed"
run 1 "$AALEARN" --json check web
json 'd["ok"] is False and d["accesses"] == 7 and [a["fields"][0] for a in d["not_allowed"]] == ["net_bind_service"]'
# A baseline file that allows everything passes; the init profile does not.
{ sed '$d' "$T/pd/web"; echo "  capability net_bind_service,"; echo "}"; } >"$T/baseline"
run 0 "$AALEARN" check web --baseline "$T/baseline"
has "all 7 observed accesses of 'web' are allowed by $T/baseline"
run 1 "$AALEARN" check --baseline "$T/web.before" web
has "not allowed by $T/web.before"
has "/var/log/app.log"

# ------------------------------------------------ enforce, complain, quiet
# A new observation just now (one the profile allows already, through
# abstractions/base): nothing pending, but the quiet period refuses.
echo "type=AVC msg=audit($now.100:201): apparmor=\"ALLOWED\" operation=\"open\" profile=\"web\" name=\"/etc/ld.so.cache\" pid=4242 comm=\"app\" requested_mask=\"r\" denied_mask=\"r\" fsuid=0 ouid=0" >"$T/log2"
run 0 "$AALEARN" import "$T/log2"
run 1 "$AALEARN" enforce web
has_err "a new observation arrived"
has_err "within the quiet period of 24h"
run 2 "$AALEARN" enforce web --quiet soon
has_err "--quiet wants a duration"
run 0 "$AALEARN" enforce web --quiet 0
has "'web' is now in enforce mode in $T/pd/web"
grep -q 'flags=(.*complain' "$T/pd/web" && fail "enforce left the complain flag"
apparmor_parser -QK -I "$T/pd" "$T/pd/web" 2>/dev/null || fail "enforced profile does not parse"
run 0 "$AALEARN" enforce web --quiet 0
has "already is in enforce mode"
run 0 "$AALEARN" --json profiles
json '[p for p in d["profiles"] if p["name"] == "web"][0]["mode"] == "enforce"'
run 0 "$AALEARN" complain web
has "'web' is now in complain mode"
grep -q 'flags=(.*complain' "$T/pd/web" || fail "complain did not set the flag"
# --force promotes past the quiet period.
run 0 "$AALEARN" --json enforce web --force
json 'd["mode"] == "enforce" and d["changed"] is True and any("quiet" in r for r in d["forced"])'

# In enforce mode the kernel denies: status and profiles say so.
run 0 "$AALEARN" --json profiles
json '[p for p in d["profiles"] if p["name"] == "web"][0]["denied_events"] == 0'
for i in 1 2; do
	echo "type=AVC msg=audit($now.30$i:30$i): apparmor=\"DENIED\" operation=\"open\" profile=\"web\" name=\"/var/log/app.log\" pid=4242 comm=\"app\" requested_mask=\"w\" denied_mask=\"w\" fsuid=0 ouid=1000"
done >"$T/log3"
run 0 "$AALEARN" import "$T/log3"
run 0 "$AALEARN" status
has "warning: 'web' had 2 DENIED events on 1 access, the last"
has "see 'aalearn show web'"
run 0 "$AALEARN" --json status
json '[p for p in d["profiles"] if p["name"] == "web"][0]["denied_events"] == 2'
json '[p for p in d["profiles"] if p["name"] == "web"][0]["denied_accesses"] == 1'
json '[p for p in d["profiles"] if p["name"] == "web"][0]["last_denied"].startswith("20")'
run 0 "$AALEARN" profiles
grep -E '^web +enforce +[0-9]+ +[0-9]+ +[0-9]+ +2 ' "$T/out" >/dev/null || { cat "$T/out"; fail "profiles: no DENIED count"; }

# ------------------------------------------------------ history, rollback
run 0 "$AALEARN" history web
has "VERSION"
has "init"
has "apply"
has "enforce"
has "(current)"
run 0 "$AALEARN" --json history web
json '[v["reason"] for v in d["versions"]] == ["enforce", "complain", "enforce", "apply", "apply", "init"]'
json '[v["current"] for v in d["versions"]] == [True, False, False, False, False, False]'
json '[v["version"] for v in d["versions"]] == [6, 5, 4, 3, 2, 1]'
# Rollback undoes the last write: back to complain mode.
run 0 "$AALEARN" rollback web
has "restored version 5 of 'web'"
grep -q 'flags=(.*complain' "$T/pd/web" || fail "rollback did not restore version 5"
# --to: the text of version 1 exactly.
run 0 "$AALEARN" --json rollback web --to 1
json 'd["restored"] == 1 and d["version"] == 8'
cmp -s "$T/pd/web" "$T/web.before" || fail "rollback --to 1 is not byte for byte the init text"
run 2 "$AALEARN" rollback web --to 99
has_err "'web' has no version 99"
run 2 "$AALEARN" rollback nosuch
has_err "no versions of 'nosuch'"

# ---------------------------------------------------------------- export
run 0 "$AALEARN" export web --format profile
cmp -s "$T/out" "$T/pd/web" || fail "export --format profile is not the file"
run 0 "$AALEARN" export web
cmp -s "$T/out" "$T/pd/web" || fail "export defaults to the profile"
run 0 "$AALEARN" export web --format json
json 'd["format"] == "aalearn-evidence" and d["profile"] == "web" and len(d["observations"]) == 8 and d["host"]'
json 'any(o["fields"][0] == "/srv/app/in/job-1.txt" and o["mask"] == "r" for o in d["observations"])'
run 0 "$AALEARN" export web --format k8s
has "kind: ConfigMap"
has "name: aalearn-profile-web"
has "localhostProfile: web"
# The ConfigMap holds the profile text, indented by four spaces.
sed -n '/^  web: |2$/,$p' "$T/out" | tail -n +2 | sed 's/^    //' >"$T/k8s.txt"
cmp -s "$T/k8s.txt" "$T/pd/web" || fail "the k8s ConfigMap does not hold the profile text"
run 2 "$AALEARN" export web --format xml
has_err "--format is profile, json or k8s"

# ------------------------------------------------------------------ help
for c in status profiles show diff review apply enforce complain rollback history init check export; do
	run 0 "$AALEARN" "$c" --help
	has "usage: aalearn $c"
done
echo "cli_workflow: ok"
