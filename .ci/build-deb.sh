#!/bin/bash
# Build aalearn's .deb from the files of this checkout (tracked and new,
# as they are in the work tree) into OUTDIR; print the .deb's path.
# Reuses a package already built from the same tree.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: build-deb.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$src"
files=$(git ls-files --cached --others --exclude-standard | grep -v '^tests/' | sort)
stamp=$(for f in $files; do [ -f "$f" ] && sha256sum "$f"; done | sha256sum | cut -c1-16)
deb=$(ls "$out"/aalearn_*_amd64.deb 2>/dev/null | head -1 || true)
if [ -n "$deb" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
	echo "$deb"
	exit 0
fi
rm -rf "$out"/work "$out"/*.deb "$out"/*.buildinfo "$out"/*.changes
mkdir -p "$out/work/aalearn"
for f in $files; do
	[ -f "$f" ] || continue
	mkdir -p "$out/work/aalearn/$(dirname "$f")"
	cp -p "$f" "$out/work/aalearn/$f"
done
(cd "$out/work/aalearn" && dpkg-buildpackage -b -us -uc >"$out/build.log" 2>&1) || {
	tail -40 "$out/build.log" >&2
	exit 1
}
mv "$out"/work/aalearn_*_amd64.deb "$out"/
rm -rf "$out/work"
echo "$stamp" >"$out/stamp"
ls "$out"/aalearn_*_amd64.deb | head -1
