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

"$aalearn" import --no-progress "$here/sample.log"
echo
echo "== aalearn profiles"
"$aalearn" profiles
echo
echo "== aalearn diff shop-worker (the starting profile + every proposal)"
rc=0
"$aalearn" diff shop-worker || rc=$?
# diff exits 1 when it has rules to propose, as diff(1) does.
[ "$rc" -le 1 ] || exit "$rc"
echo
echo "Next, on a real host: aalearn review shop-worker; aalearn apply shop-worker"
