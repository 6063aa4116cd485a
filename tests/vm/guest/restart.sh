# Guest side of pending_restart.sh: SIGKILL the daemon in the middle of a
# workload, start it again; the store's counts equal the kernel's records.
. /etc/aalearn-vm.sh
. /etc/aalearn-learn.sh
set -u
fail() { echo "restart: $*"; exit 1; }

src=${AALEARN_VM_SOURCE:-kmsg}
learn_conf /etc/aalearn/aalearnd.conf "$src"
vm_result source "$src"
# A complain profile whose helpers stay inside it, and 240 files: each is
# opened twice, so every observation should end with a count of 2.
cat > /etc/apparmor.d/churn <<'P'
profile churn flags=(complain) {
  /bin/busybox ix,
}
P
apparmor_parser -r /etc/apparmor.d/churn || fail "load churn"
mkdir -p /srv/churn
i=0
while [ $i -lt 240 ]; do
	i=$((i + 1))
	echo "$i" > /srv/churn/f$i
done
cat > /usr/local/bin/churn <<'W'
#!/bin/sh
# Two passes over the files, slowly enough (about 10 s) to be interrupted.
for pass in 1 2; do
	i=0
	while [ $i -lt 240 ]; do
		i=$((i + 1))
		read -r x < /srv/churn/f$i
		[ $((i % 5)) = 0 ] && usleep 100000
	done
done
W
chmod 0755 /usr/local/bin/churn

learn_daemon_start /etc/aalearn/aalearnd.conf || fail "daemon start"
mark=$(learn_mark)
aa-exec -p churn -- /usr/local/bin/churn &
w=$!
kills=0
for at in 100 300; do
	# Kill it once the kernel has logged AT of the workload's records.
	n=0
	while [ "$(learn_since "$mark" | grep -c 'profile="churn')" -lt "$at" ] && [ $n -lt 300 ]; do
		usleep 100000
		n=$((n + 1))
	done
	learn_daemon_stop KILL
	kills=$((kills + 1))
	vm_result killed_at "$(learn_since "$mark" | grep -c 'profile="churn')"
	usleep 300000
	learn_daemon_spawn /etc/aalearn/aalearnd.conf
done
wait $w
vm_result workload_rc $?
vm_result kills $kills
vm_settle
sleep 1
learn_daemon_stop
vm_result daemon_stop_rc $?
learn_since "$mark" > /tmp/churn.log
vm_file churn.log /tmp/churn.log
aalearn --json show churn > /tmp/show.json 2>&1
vm_result show_rc $?
vm_file show.json /tmp/show.json
cp /var/log/aalearnd.log /tmp/aalearnd.log && vm_file aalearnd.log /tmp/aalearnd.log
exit 0
