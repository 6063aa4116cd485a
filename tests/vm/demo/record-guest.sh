# Guest side of tests/vm/record-demo.sh: run shop-worker three times under
# its complain-mode profile and send the kernel's audit records to the host.
. /etc/aalearn-vm.sh
set -u
vm_apparmor_ok || { echo "AppArmor is not enabled"; exit 1; }
mkdir -p /run/shop /srv
chmod 0755 /usr/local/bin/shop-worker /usr/local/bin/shop-frontend
apparmor_parser -r /etc/apparmor.d/shop-worker || exit 1
grep -q '^shop-worker (complain)$' /sys/kernel/security/apparmor/profiles || {
	echo "profile not loaded in complain mode"; exit 1; }
# The worker's peers run unconfined: the front end on TCP 8080 and the
# reloader that takes SIGHUP.
nc -ll -p 8080 -e /usr/local/bin/shop-frontend &
sh -c 'trap "echo reload >> /var/log/shop-reloader.log" HUP
	while :; do sleep 1 & wait $!; done' &
echo $! > /run/shop/reloader.pid
sleep 1
for run in 1 2 3; do
	/usr/local/bin/shop-worker || { echo "shop-worker run $run failed"; exit 1; }
done
vm_settle
sleep 1
vm_result runs 3
vm_result frontend_lines "$(wc -l < /var/log/shop-frontend.log)"
vm_result reloads "$(grep -c reload /var/log/shop-reloader.log)"
vm_result orders "$(cat /srv/shop/orders/order-1.txt | wc -l)"
vm_audit_log > /tmp/kernel.log
vm_file kernel.log /tmp/kernel.log
