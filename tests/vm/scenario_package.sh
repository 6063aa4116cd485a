#!/bin/bash
# Issue 8 in the VM: the learn-enforce-verify scenario with aalearnd and
# aalearn as the Debian package installs them.  The .deb is built from this
# tree (.ci/build-deb.sh, reused when unchanged), unpacked the way dpkg
# unpacks it, and its binaries (optimised, no sanitizers) replace the test
# build's in the guest.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${AALEARN_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
build=${AALEARN_BUILD_DIR:?}
deb=$("$src/.ci/build-deb.sh" "$build/deb")
pkg=$(mktemp -d)
trap 'rm -rf "$pkg"' EXIT
dpkg-deb -x "$deb" "$pkg"
for b in aalearn aalearnd; do
	[ -x "$pkg/usr/sbin/$b" ] || { echo "the package has no /usr/sbin/$b"; exit 1; }
done
echo "package: $(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)"
AALEARN_BIN=$pkg/usr/sbin/aalearn AALEARND_BIN=$pkg/usr/sbin/aalearnd \
	bash "$here/scenario_learn_enforce.sh"
