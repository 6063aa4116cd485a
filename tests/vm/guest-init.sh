#!/bin/busybox sh
# /init of the test VM (copied by tests/vm/lib.sh): mount what AppArmor,
# runc and the scenario need, run /scenario.sh, report its status on the
# console, power off.  If anything here hangs, the host's timeout kills QEMU.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
. /etc/aalearn-env
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm /sys/fs/cgroup
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t securityfs securityfs /sys/kernel/security
mount -t cgroup2 cgroup2 /sys/fs/cgroup
# Without auditd the kernel prints audit records through printk, which is
# rate limited: lift the limit so that every record reaches the log.
echo 0 > /proc/sys/kernel/printk_ratelimit
# Only emergencies on the console: a kernel warning printed in the middle
# of a base64 line would corrupt a file on its way to the host.  dmesg
# keeps every message.
echo 1 > /proc/sys/kernel/printk
echo 8 > /proc/sys/kernel/printk_ratelimit_burst
hostname aalearn-vm
ip link set lo up
while read -r m; do
	insmod "$m" || echo "vm: insmod $m failed"
done < /etc/aalearn-modules
exec < /dev/console > /dev/console 2>&1
# A fresh line: the firmware leaves escape sequences before it.
echo
echo "AALEARN-BOOTED $(cut -d' ' -f1 /proc/uptime)"
sh /scenario.sh
rc=$?
echo "AALEARN-EXIT $rc"
sync
poweroff -f
# Not reached; should poweroff fail, exiting init panics and -no-reboot ends QEMU.
