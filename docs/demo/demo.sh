#!/bin/sh
# make demo: learn from the bundled real AppArmor records (docs/demo/sample.log,
# see docs/demo/README.md) into a temporary store, and print the changes
# aalearn proposes to the demo's starting profile.  Everything happens in a
# temporary directory: the host's /etc/apparmor.d and /var/lib are never
# touched.
#   sh docs/demo/demo.sh BUILD_DIR
set -eu
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
case "$build" in /*) ;; *) build=$(pwd)/$build ;; esac
aalearn=$build/cli/aalearn
[ -x "$aalearn" ] || { echo "demo: $aalearn not built; run 'make build'" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/aalearn-demo.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
mkdir "$tmp/profiles"
cp "$here/profile/shop-worker" "$tmp/profiles/"
# The profile includes the abstractions and tunables of the apparmor
# package: read (never written) from the host, copied next to it.
for d in abi abstractions tunables; do
	[ -d "/etc/apparmor.d/$d" ] && cp -R "/etc/apparmor.d/$d" "$tmp/profiles/"
done
AALEARN_DB=$tmp/aalearn.db
AALEARN_PROFILE_DIR=$tmp/profiles
export AALEARN_DB AALEARN_PROFILE_DIR

"$aalearn" --version
records=$(grep -c 'apparmor=' "$here/sample.log")
echo "sample: $records AppArmor records recorded from shop-worker on Debian 12's kernel"
echo

# A command that is not built yet says so and exits 2; the demo then shows
# the furthest stage that exists.
not_built()
{
	grep -q 'not built yet' "$tmp/err"
}

if "$aalearn" import "$here/sample.log" 2>"$tmp/err"; then
	echo
	echo "== aalearn diff shop-worker (the starting profile + every proposal)"
	rc=0
	"$aalearn" diff shop-worker 2>"$tmp/err" || rc=$?
	if [ "$rc" -le 1 ]; then
		exit 0
	fi
	cat "$tmp/err" >&2
	not_built || exit "$rc"
	echo "(aalearn diff is not built yet: the observations are in the store)"
	exit 0
fi
not_built || { cat "$tmp/err" >&2; exit 2; }
echo "(aalearn import is not built yet; showing how aalearn reads the records)"
echo "== aalearn parse --text docs/demo/sample.log"
if "$aalearn" parse --text "$here/sample.log" 2>"$tmp/err"; then
	cat "$tmp/err" >&2
	exit 0
fi
not_built || { cat "$tmp/err" >&2; exit 2; }
echo "(aalearn parse is not built yet either; the sample's first records:)"
grep 'apparmor=' "$here/sample.log" | head -n 5
