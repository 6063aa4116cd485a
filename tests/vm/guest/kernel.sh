# Guest side of scenario_kernel.sh (busybox sh, in the VM).
. /etc/aalearn-vm.sh
. /etc/aalearn-ctr.sh
set -u

# 1. AppArmor is really on.
vm_apparmor_ok && vm_result apparmor enabled
vm_result lsm "$(cat /sys/kernel/security/lsm)"
vm_result kernel "$(uname -r)"

# 2. The binaries under test run in the guest (sanitizers and libraries).
if aalearn --version > /tmp/aalearn-version 2>&1; then
	vm_result aalearn_runs yes
else
	cat /tmp/aalearn-version
fi

# 3. A complain-mode profile with one rule: everything else the workload
# does is logged as ALLOWED.  busybox's applets stay in the profile (a
# learning null-profile mediates no network, so nc must run inside kwork);
# /opt/kbox/cat, a copy of busybox, is exec'd into a null child profile.
cat > /etc/apparmor.d/kwork <<'P'
profile kwork /usr/local/bin/kwork flags=(complain) {
  /bin/busybox ix,
}
P
mkdir -p /opt/kbox && cp /bin/busybox /opt/kbox/cat
cat > /usr/local/bin/kwork <<'W'
#!/bin/sh
read -r line < /etc/hostname-kwork
mkdir -p /srv/kwork
echo "$line" > /srv/kwork/out.txt
echo "$line" > "/srv/kwork/a name with spaces.txt"
echo "$line" > "$(printf '/srv/kwork/x, ** rwx,"q\nz')"
t=$(mktemp /tmp/kwork.XXXXXX)
echo x > "$t"
rm -f "$t"
/opt/kbox/cat /proc/self/limits > /dev/null
echo ping | nc 127.0.0.1 7001 || true
kill -USR1 "$(cat /run/kwork-peer.pid)"
W
chmod 0755 /usr/local/bin/kwork
echo kwork-host > /etc/hostname-kwork
apparmor_parser -r /etc/apparmor.d/kwork || exit 1
vm_result kwork_mode "$(grep '^kwork ' /sys/kernel/security/apparmor/profiles)"
nc -ll -p 7001 -e /bin/true &
sh -c 'trap "" USR1; while :; do sleep 1 & wait $!; done' &
echo $! > /run/kwork-peer.pid
sleep 1
/usr/local/bin/kwork && vm_result kwork_ran yes

# 4. An enforce-mode profile: what it does not allow is DENIED and fails.
cat > /etc/apparmor.d/kdeny <<'P'
profile kdeny /usr/local/bin/kdeny {
  /usr/local/bin/kdeny r,
  /bin/busybox mrix,
  /dev/null rw,
}
P
printf '#!/bin/sh\ncat /etc/shadow > /dev/null && echo read-shadow\necho x > /etc/kdeny-was-here && echo wrote-etc\nexit 0\n' \
    > /usr/local/bin/kdeny
chmod 0755 /usr/local/bin/kdeny
apparmor_parser -r /etc/apparmor.d/kdeny || exit 1
vm_result kdeny_mode "$(grep '^kdeny ' /sys/kernel/security/apparmor/profiles)"
vm_result kdeny_out "$(/usr/local/bin/kdeny 2>/dev/null | tr '\n' ' ')"
[ -e /etc/kdeny-was-here ] && vm_result kdeny_wrote yes

# 5. A runc container under a complain-mode profile, in a Docker-shaped
# cgroup.  The container waits for /go so that its cgroup and its
# confinement can be read from outside while it runs.
cat > /etc/apparmor.d/ctr-test <<'P'
profile ctr-test flags=(attach_disconnected,mediate_deleted,complain) {
}
P
apparmor_parser -r /etc/apparmor.d/ctr-test || exit 1
id=$(ctr_docker_id)
vm_result docker_id "$id"
b=/var/lib/aalearn-ctr/bundle
ctr_bundle "$b" ctr-test "/system.slice/docker-$id.scope" /bin/sh /job.sh
mkdir -p "$b/rootfs/srv/app/in"
echo job-1 > "$b/rootfs/srv/app/in/job-1.txt"
cat > "$b/rootfs/job.sh" <<'J'
#!/bin/sh
cat /srv/app/in/job-1.txt > /srv/app/out.txt
cat /proc/self/cgroup > /srv/app/cgroup.txt
i=0
while [ ! -e /go ] && [ $i -lt 100 ]; do usleep 100000; i=$((i + 1)); done
ls /root > /dev/null
J
runc run --no-pivot -b "$b" "ctr-$$" > /tmp/runc.out 2>&1 &
rpid=$!
i=0
while [ -z "$(ctr_pid "ctr-$$")" ] && [ $i -lt 100 ]; do usleep 100000; i=$((i + 1)); done
cpid=$(ctr_pid "ctr-$$")
vm_result ctr_pid "$cpid"
i=0
while [ ! -s "$b/rootfs/srv/app/cgroup.txt" ] && [ $i -lt 100 ]; do usleep 100000; i=$((i + 1)); done
if [ -n "$cpid" ]; then
	vm_result ctr_cgroup "$(cat /proc/$cpid/cgroup)"
	vm_result ctr_label "$(cat /proc/$cpid/attr/current)"
fi
vm_result ctr_inside_cgroup "$(cat "$b/rootfs/srv/app/cgroup.txt")"
touch "$b/rootfs/go"
wait $rpid
vm_result runc_rc $?
cat /tmp/runc.out
vm_result ctr_out "$(cat "$b/rootfs/srv/app/out.txt")"

vm_settle
dmesg > /tmp/dmesg.txt
vm_audit_log > /tmp/kernel.log
vm_result records "$(grep -c 'apparmor=' /tmp/kernel.log)"
vm_file kernel.log /tmp/kernel.log
vm_file dmesg.txt /tmp/dmesg.txt
exit 0
