#!/bin/bash
# The unit passes systemd-analyze verify, keeps its exposure score "OK" or
# better, and its tmpfiles entry and default config are what the daemon reads.
set -euo pipefail
src=${AALEARN_SOURCE_DIR:?}
daemon=${AALEARND_BIN:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# verify checks ExecStart's binary exists: point it at the one just built.
sed "s|/usr/sbin/aalearnd|$daemon|g" "$src/systemd/aalearnd.service" >"$tmp/aalearnd.service"
out=$(systemd-analyze verify --man=no "$tmp/aalearnd.service" 2>&1) || {
	echo "systemd-analyze verify failed:"; echo "$out"; exit 1; }
if [ -n "$out" ]; then
	echo "systemd-analyze verify complained:"; echo "$out"; exit 1
fi

# The exposure score, offline (no running manager needed).  "OK" is <= 4.9.
score=$(systemd-analyze security --offline=true "$tmp/aalearnd.service" 2>&1 |
	sed -n 's/.*Overall exposure level for aalearnd.service: \([0-9.]*\).*/\1/p')
echo "exposure score: ${score:-none}"
[ -n "$score" ] || { echo "no exposure score"; exit 1; }
awk -v s="$score" 'BEGIN { exit !(s <= 4.9) }' || {
	echo "exposure $score is above OK (4.9)"; exit 1; }

# The capabilities stay exactly the documented three.
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$src/systemd/aalearnd.service")
[ "$caps" = "CAP_AUDIT_READ CAP_AUDIT_CONTROL CAP_SYSLOG" ] || {
	echo "unexpected capabilities: $caps"; exit 1; }

# tmpfiles: the state directory is 0700.
grep -Eq '^d /var/lib/aalearn 0700 root root' "$src/systemd/aalearn.tmpfiles"

# The shipped config, uncommented, is accepted by the daemon, and every key
# the daemon knows is documented in it.
sed -n 's/^#\([a-z_]* = .*\)/\1/p' "$src/systemd/aalearnd.conf" >"$tmp/all.conf"
[ -s "$tmp/all.conf" ]
"$daemon" -n -c "$tmp/all.conf"
"$daemon" -n -c "$src/systemd/aalearnd.conf"
echo "1 passed, 0 failed"
