# Guest side of pending_container.sh: learn, enforce and verify a real
# container run by runc as Docker and containerd run theirs.
. /etc/aalearn-vm.sh
. /etc/aalearn-ctr.sh
. /etc/aalearn-learn.sh
set -u
fail() { echo "container: $*"; exit 1; }

learn_conf /etc/aalearn/aalearnd.conf netlink
aalearn init web --container --runtime docker || fail "aalearn init"
vm_result init_mode "$(grep '^web ' /sys/kernel/security/apparmor/profiles)"

b=/var/lib/aalearn-ctr/web
id=$(ctr_docker_id)
vm_result docker_id "$id"
ctr_bundle "$b" web "/system.slice/docker-$id.scope" /bin/sh /job.sh
r=$b/rootfs
mkdir -p "$r/etc/app" "$r/srv/app"
printf 'WORKERS=3\nPORT=9000\n' > "$r/etc/app/app.conf"
printf 'root:*:19000:0:99999:7:::\n' > "$r/etc/shadow"
chmod 0640 "$r/etc/shadow"
# The container's job: configuration, data, temporary files with random
# names, a TCP round trip on its own loopback, a signal to its own child.
# It waits for /go (at most 10 s) so that its main process is alive while
# the daemon attributes its records; "bad" does what it never learned.
cat > "$r/job.sh" <<'J'
#!/bin/sh
if [ "${1:-}" = bad ]; then
	cat /etc/shadow > /dev/null && echo read-shadow
	echo x > /etc/evil && echo wrote-etc
	ls /root > /dev/null && echo read-root
	exit 0
fi
set -e
. /etc/app/app.conf
mkdir -p /srv/app/data
i=0
while [ $i -lt "$WORKERS" ]; do
	i=$((i + 1))
	t=$(mktemp /tmp/job.XXXXXX)
	echo "result $i" > "$t"
	cat "$t" >> /srv/app/data/results.txt
	rm -f "$t"
done
nc -ll -p "$PORT" -e /bin/true &
l=$!
sleep 1
echo hello | nc 127.0.0.1 "$PORT" || true
kill -TERM "$l"
read -r line < /srv/app/data/results.txt
n=0
while [ ! -e /go ] && [ $n -lt 100 ]; do usleep 100000; n=$((n + 1)); done
rm -f /go
echo done
J
chmod 0755 "$r/job.sh"

# run_ctr NAME [ARG]: one container run; its output is in /tmp/NAME.out.
run_ctr()
{
	local name=$1 rc i=0
	shift
	sed -i "s|\"/job.sh\"[^]]*]|\"/job.sh\"${1:+, \"$1\"} ]|" "$b/config.json"
	runc run --no-pivot -b "$b" "$name" > "/tmp/$name.out" 2>&1 &
	rc=$!
	# Let it work, then release it.
	while [ -z "$(ctr_pid "$name")" ] && [ $i -lt 100 ]; do usleep 100000; i=$((i + 1)); done
	sleep 1
	touch "$r/go"
	wait $rc
}
learn_n=0
learn_workload()
{
	learn_n=$((learn_n + 1))
	run_ctr "learn-$learn_n"
}
learn_until_quiet web /etc/aalearn/aalearnd.conf 4 learn_workload || fail "learning"

# The evidence carries the container's id from its real cgroup.
aalearn --json show web > /tmp/show.json 2>&1
vm_result show_rc $?
vm_file show.json /tmp/show.json
aalearn --json show web --container "$id" > /tmp/show-ctr.json 2>&1
vm_result show_ctr_rc $?
vm_file show-ctr.json /tmp/show-ctr.json

aalearn enforce web --quiet 0
vm_result enforce_rc $?
vm_result enforce_mode "$(grep '^web ' /sys/kernel/security/apparmor/profiles)"
cp /etc/apparmor.d/web /tmp/profile.final
vm_file profile.final /tmp/profile.final

mark=$(learn_mark)
run_ctr enforced
vm_result enforced_rc $?
vm_result enforced_out "$(tr '\n' ' ' < /tmp/enforced.out)"
vm_settle
learn_since "$mark" > /tmp/enforced.log
vm_file enforced.log /tmp/enforced.log

mark=$(learn_mark)
run_ctr bad bad
vm_result bad_out "$(tr '\n' ' ' < /tmp/bad.out)"
vm_settle
learn_since "$mark" > /tmp/forbidden.log
vm_file forbidden.log /tmp/forbidden.log
vm_audit_log > /tmp/kernel.log
vm_file kernel.log /tmp/kernel.log
exit 0
