#!/bin/sh
# Install the Debian packages aalearn needs to build and test, when missing.
# Used by `make demo` and `make check`; safe to run again.
set -eu
what=${1:-check}
pkgs="build-essential cmake pkg-config libaudit-dev libauparse-dev
libapparmor-dev libsqlite3-dev libevent-dev libsystemd-dev apparmor"
if [ "$what" = check ]; then
	pkgs="$pkgs libcmocka-dev clang libclang-rt-14-dev python3 sqlite3
	qemu-system-x86 cpio xz-utils zstd busybox-static python3-apparmor
	auditd systemd valgrind debhelper debootstrap man-db"
fi
missing=
for p in $pkgs; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in *"ok installed"*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "aalearn: missing Debian packages:$missing" >&2
	echo "aalearn: run as root, or: sudo apt-get install$missing" >&2
	exit 1
fi
echo "aalearn: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# auditd's postinst starts the daemon where it can; tests manage it themselves.
apt-get install -y -qq --no-install-recommends $missing >/dev/null
