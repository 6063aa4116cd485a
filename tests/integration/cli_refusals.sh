#!/bin/bash
# What the CLI refuses, and how it says so: unknown profiles, corrupt
# profile files, a read-only or missing profile directory, a parser that
# rejects or is missing, a failed kernel load, bad usage.  Every refusal
# exits 2 (1 for enforce), names the thing and what to do, and leaves the
# profile and its history as they were.
set -euo pipefail

. "$(dirname "$0")/lib_cli.sh"
versions() { "$AALEARN" --json history "$1" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["versions"]))'; }
no_temp_files() {
	! ls -A "$T/pd" "$T/pd/local" 2>/dev/null | grep -q '^\.' ||
	    fail "temporary files left in the profile dir: $(ls -A "$T/pd")"
}

old=$(( $(date +%s) - 3 * 86400 ))
run 0 "$AALEARN" init web --container
cat >"$T/log" <<EOF
type=AVC msg=audit($old.100:101): apparmor="ALLOWED" operation="open" profile="web" name="/srv/data/a.txt" pid=4242 comm="app" requested_mask="r" denied_mask="r" fsuid=0 ouid=1000
type=AVC msg=audit($old.200:102): apparmor="ALLOWED" operation="open" profile="ghost" name="/srv/data/b.txt" pid=4243 comm="app" requested_mask="r" denied_mask="r" fsuid=0 ouid=1000
EOF
run 0 "$AALEARN" import "$T/log"
cp "$T/pd/web" "$T/web.good"

# --------------------------------------------------------- unknown profile
# 'ghost' has evidence but no profile file.
for cmd in diff review apply enforce complain check; do
	run 2 "$AALEARN" "$cmd" ghost
	has_err "profile 'ghost' not found in $T/pd; create it with 'aalearn init ghost --container'"
done
run 2 "$AALEARN" export ghost --format profile
has_err "profile 'ghost' not found in $T/pd"
run 0 "$AALEARN" --json profiles
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); g=[p for p in d["profiles"] if p["name"]=="ghost"][0]; sys.exit(0 if g["file"] is None and g["pending"] is None and g["observations"]==1 else 1)' "$T/out" ||
    fail "profiles: a profile without a file should say so"
run 0 "$AALEARN" profiles
grep -E '^ghost +no file ' "$T/out" >/dev/null || fail "profiles: ghost should show 'no file'"

# ------------------------------------------------------------------ usage
run 2 "$AALEARN" diff
has_err "diff: which profile?"
has_err "usage: aalearn diff PROFILE"
run 2 "$AALEARN" apply web --bogus
has_err "unknown option"
run 2 "$AALEARN" enforce web --quiet
has_err "usage: aalearn enforce"
run 2 "$AALEARN" review web --accept
has_err "--accept wants proposal ids"
run 2 "$AALEARN" init ../evil --container
has_err "not a plain profile name"
[ ! -e "$T/evil" ] || fail "init wrote outside the profile dir"
run 2 "$AALEARN" init web2
has_err "add --container"
run 2 "$AALEARN" init web2 --container --runtime lxc
has_err "--runtime is one of docker, containerd, cri-o, podman"
run 2 "$AALEARN" nosuchcommand
has_err "unknown command 'nosuchcommand'"

# -------------------------------------------------------- the store itself
run 2 "$AALEARN" --db "$T/missing/none.db" diff web
[ -s "$T/err" ] || fail "a missing store gives no message"

# ------------------------------------------------------ corrupt profiles
printf 'profile web {\n  /x r,\n  {\n' >"$T/pd/web"
for cmd in diff apply complain; do
	run 2 "$AALEARN" "$cmd" web
	has_err "cannot read $T/pd/web: unbalanced braces or an unterminated quote; fix it, or restore the last good version with 'aalearn rollback web'"
done
run 0 "$AALEARN" rollback web --to 1
cmp -s "$T/pd/web" "$T/web.good" || fail "rollback did not restore a corrupt file"

# A file that holds a NUL byte is not a profile.
printf 'profile web {\n  /x r,\0\n}\n' >"$T/pd/web"
run 2 "$AALEARN" diff web
has_err "holds a NUL byte"
cp "$T/web.good" "$T/pd/web"

# Text the learner reads but apparmor_parser rejects: nothing is replaced.
printf 'include <tunables/global>\nprofile web flags=(complain) {\n  /x rr garbage,\n}\n' >"$T/pd/web"
cp "$T/pd/web" "$T/web.bad"
n=$(versions web)
run 0 "$AALEARN" review web --accept-all
run 2 "$AALEARN" apply web
has_err "apparmor_parser rejected $T/pd/web"
has_err "$T/pd/web left unchanged"
grep -qF '.aalearn-' "$T/err" && fail "the error names the temporary file"
cmp -s "$T/pd/web" "$T/web.bad" || fail "a rejected apply replaced the file"
[ "$(versions web)" = "$n" ] || fail "a rejected apply added a version"
no_temp_files
cp "$T/web.good" "$T/pd/web"

# A rule left open before the closing brace: aalearn's block would join
# it, so apply and diff refuse and say which ',' is missing.
printf 'include <tunables/global>\nprofile web flags=(complain) {\n  /x r\n}\n' >"$T/pd/web"
cp "$T/pd/web" "$T/web.open"
n=$(versions web)
run 2 "$AALEARN" apply web
has_err "lacks its ','"
has_err "$T/pd/web left unchanged"
run 2 "$AALEARN" diff web
has_err "lacks its ','"
cmp -s "$T/pd/web" "$T/web.open" || fail "an open statement's file was replaced"
[ "$(versions web)" = "$n" ] || fail "a refused apply added a version"
no_temp_files
cp "$T/web.good" "$T/pd/web"

# ------------------------------------------------------- the parser itself
run 2 "$AALEARN" --parser "$T/no/such/parser" enforce web --force
has_err "cannot run $T/no/such/parser"
has_err "pass --parser PATH"
cmp -s "$T/pd/web" "$T/web.good" || fail "changed without a parser"
no_temp_files

# A parser that checks fine and loads: the reload goes through it with -r.
mkdir -p "$T/securityfs"
touch "$T/securityfs/profiles"
cat >"$T/parser" <<EOF
#!/bin/sh
echo "\$*" >>"$T/parser.log"
case "\$1" in -r) exit \${FAIL_LOAD:-0} ;; esac
exec apparmor_parser "\$@"
EOF
chmod +x "$T/parser"
run 0 env AALEARN_SECURITYFS="$T/securityfs" "$AALEARN" --parser "$T/parser" apply web
has "loaded $T/pd/web into the kernel"
grep -q -- "^-QK -I $T/pd $T/pd/\.web\.aalearn-" "$T/parser.log" ||
    { cat "$T/parser.log"; fail "the new text was not checked with -QK before it replaced the file"; }
grep -qx -- "-r -I $T/pd $T/pd/web" "$T/parser.log" ||
    { cat "$T/parser.log"; fail "the profile was not loaded with -r"; }
# The check came before the load.
[ "$(grep -n -- '^-QK' "$T/parser.log" | head -1 | cut -d: -f1)" -lt \
  "$(grep -n -- '^-r' "$T/parser.log" | head -1 | cut -d: -f1)" ] || fail "loaded before checking"
: >"$T/parser.log"
run 0 env AALEARN_SECURITYFS="$T/securityfs" "$AALEARN" --parser "$T/parser" enforce web --force --no-reload
has "not loaded (--no-reload)"
grep -q -- '^-r' "$T/parser.log" && fail "--no-reload still loaded the profile"
# init loads the new profile where the kernel has AppArmor, not with --no-reload.
: >"$T/parser.log"
run 0 env AALEARN_SECURITYFS="$T/securityfs" "$AALEARN" --parser "$T/parser" init loaded --container
has "loaded $T/pd/loaded into the kernel"
grep -qx -- "-r -I $T/pd $T/pd/loaded" "$T/parser.log" || { cat "$T/parser.log"; fail "init did not load"; }
: >"$T/parser.log"
run 0 env AALEARN_SECURITYFS="$T/securityfs" "$AALEARN" --parser "$T/parser" init unloaded --container --no-reload
has "not loaded (--no-reload)"
grep -q -- '^-r' "$T/parser.log" && fail "init --no-reload loaded the profile"
# The kernel refuses the load: written, said so, exit 2.
run 2 env FAIL_LOAD=1 AALEARN_SECURITYFS="$T/securityfs" "$AALEARN" --parser "$T/parser" complain web
has_err "could not load $T/pd/web into the kernel"
has_err "is written but not loaded; fix it, or 'aalearn rollback web'"

# ---------------------------------------------------- read-only directory
cp "$T/web.good" "$T/pd/web"
n=$(versions web)
ro=""
if unshare -m true 2>/dev/null; then
	ro=bind
elif chattr +i "$T/pd" 2>/dev/null; then
	ro=immutable
fi
case "$ro" in
bind)
	rc=0
	unshare -m sh -c "mount --bind '$T/pd' '$T/pd' && mount -o remount,bind,ro '$T/pd' && exec '$AALEARN' enforce web --force" \
	    >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" = 2 ] || { cat "$T/err"; fail "enforce in a read-only dir exited $rc"; }
	has_err "cannot write in $T/pd"
	has_err "Read-only file system"
	has_err "make it writable or pass --profile-dir"
	;;
immutable)
	run 2 "$AALEARN" enforce web --force
	has_err "cannot write in $T/pd"
	chattr -i "$T/pd"
	;;
*)
	echo "note: neither a read-only bind mount nor chattr +i works here; read-only case skipped"
	;;
esac
cmp -s "$T/pd/web" "$T/web.good" || fail "the profile changed in a read-only dir"
[ "$(versions web)" = "$n" ] || fail "a failed write added a version"

# A file where the profile directory should be.
run 2 "$AALEARN" --profile-dir "$T/pd/web" diff web
has_err "cannot read the profile directory $T/pd/web: Not a directory"
run 2 "$AALEARN" --profile-dir "$T/pd/web" init other --container
has_err "cannot read the profile directory $T/pd/web"

# init over an unrelated file of the same name.
echo "not a profile" >"$T/pd/notes"
run 2 "$AALEARN" init notes --container
has_err "$T/pd/notes exists and does not define profile 'notes'"
[ "$(cat "$T/pd/notes")" = "not a profile" ] || fail "init overwrote an unrelated file"

echo "cli_refusals: ok"
