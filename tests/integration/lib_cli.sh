# lib_cli.sh - sourced by the CLI integration scripts (not a test itself):
# a private temporary store and profile directory holding the host's abi,
# abstractions and tunables, no AppArmor in "the kernel" unless a test says
# otherwise, and the helpers every script uses.

BUILD=${AALEARN_BUILD_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/build}
AALEARN=${AALEARN_BIN:-$BUILD/cli/aalearn}
T=$(mktemp -d /tmp/aalearn-cli.XXXXXX)
cli_cleanup() {
	chattr -i "$T/pd" 2>/dev/null || true
	rm -rf "$T"
}
trap cli_cleanup EXIT
chmod 700 "$T"
mkdir "$T/pd"
for d in abi abstractions tunables; do
	cp -a "/etc/apparmor.d/$d" "$T/pd/"
done
export AALEARN_DB=$T/db AALEARN_PROFILE_DIR=$T/pd NO_COLOR=1
unset AALEARN_PARSER
export AALEARN_SECURITYFS=$T/no-securityfs

fail() { echo "FAIL: $*" >&2; exit 1; }
# run EXPECTED_RC CMD...: output in $T/out and $T/err
run() {
	local want=$1 rc=0
	shift
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	if [ "$rc" != "$want" ]; then
		echo "--- stdout"; cat "$T/out"; echo "--- stderr"; cat "$T/err"
		fail "'$*' exited $rc, expected $want"
	fi
}
has() { grep -qF -- "$1" "$T/out" || { cat "$T/out"; fail "stdout lacks '$1'"; }; }
has_err() { grep -qF -- "$1" "$T/err" || { cat "$T/err"; fail "stderr lacks '$1'"; }; }
