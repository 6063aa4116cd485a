#!/bin/bash
# The .deb builds with dpkg-buildpackage, installs on a clean Debian 12
# chroot, enables and starts nothing, and `man aalearn` works there.
set -euo pipefail
src=${AALEARN_SOURCE_DIR:?}
build=${AALEARN_BUILD_DIR:?}
cache=${AALEARN_VM_CACHE:-/var/cache/aalearn-vm}
mkdir -p "$cache"

deb=$("$src/.ci/build-deb.sh" "$build/deb")
echo "built $deb"
contents=$(dpkg -c "$deb")
for f in ./usr/sbin/aalearnd ./usr/sbin/aalearn ./lib/systemd/system/aalearnd.service \
	./usr/lib/tmpfiles.d/aalearn.conf ./etc/aalearn/aalearnd.conf \
	./usr/share/man/man8/aalearn.8.gz ./usr/share/man/man8/aalearnd.8.gz \
	./usr/share/man/man5/aalearnd.conf.5.gz \
	./usr/share/bash-completion/completions/aalearn; do
	grep -q " $f\$" <<<"$contents" || { echo "missing from the package: $f"; exit 1; }
done

# A clean Debian 12 root, made once and kept as a tarball.
base=$cache/bookworm-minbase.tar
if [ ! -s "$base" ]; then
	command -v debootstrap >/dev/null || { echo "debootstrap missing"; exit 1; }
	rm -rf "$cache/chroot.tmp"
	debootstrap --variant=minbase bookworm "$cache/chroot.tmp" \
		http://deb.debian.org/debian >"$cache/debootstrap.log" 2>&1 ||
		{ tail -20 "$cache/debootstrap.log"; exit 1; }
	tar -C "$cache/chroot.tmp" -cf "$base.tmp" . && mv "$base.tmp" "$base"
	rm -rf "$cache/chroot.tmp"
fi
root=$(mktemp -d)
cleanup() {
	umount "$root/proc" 2>/dev/null || true
	rm -rf "$root"
}
trap cleanup EXIT
tar -C "$root" -xf "$base"
mount -t proc proc "$root/proc"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
cp "$deb" "$root/tmp/"
# man-db so that `man` exists; policy-rc.d is not set: whatever the
# package's scripts would start, they may.
chroot "$root" /bin/sh -c "export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq man-db /tmp/$(basename "$deb")" \
	>"$root/install.log" 2>&1 || { tail -30 "$root/install.log"; exit 1; }

chroot "$root" aalearn --version
chroot "$root" aalearnd -n
if ls "$root"/etc/systemd/system/*.wants/aalearnd.service 2>/dev/null; then
	echo "installing the package enabled aalearnd"; exit 1
fi
if grep -E 'deb-systemd-invoke (start|restart)|systemctl (start|enable)' \
	"$root"/var/lib/dpkg/info/aalearn.postinst 2>/dev/null; then
	echo "the postinst starts or enables the service"; exit 1
fi
page=$(chroot "$root" env MANPAGER=cat COLUMNS=80 man aalearn 2>&1)
grep -q 'review, apply and enforce AppArmor rules' <<<"$page" || {
	echo "man aalearn did not show the page:"; echo "$page" | head; exit 1; }
chroot "$root" env MANPAGER=cat man 5 aalearnd.conf | grep -q max_observations_per_profile
echo "package installs cleanly; man pages work"
