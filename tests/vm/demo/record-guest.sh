# Guest side of tests/vm/record-demo.sh: run shop-worker three times under
# its complain-mode profile and send the kernel's audit records to the host.
. /etc/aalearn-vm.sh
set -u
vm_apparmor_ok || { echo "AppArmor is not enabled"; exit 1; }
. /etc/aalearn-shop.sh
apparmor_parser -r /etc/apparmor.d/shop-worker || exit 1
grep -q '^shop-worker (complain)$' /sys/kernel/security/apparmor/profiles || {
	echo "profile not loaded in complain mode"; exit 1; }
shop_peers
for run in 1 2 3; do
	shop_run || { echo "shop-worker run $run failed"; exit 1; }
done
vm_settle
sleep 1
vm_result runs 3
vm_result frontend_lines "$(shop_frontend_lines)"
vm_result reloads "$(grep -c reload /var/log/shop-reloader.log)"
vm_result orders "$(cat /srv/shop/orders/order-1.txt | wc -l)"
vm_audit_log > /tmp/kernel.log
vm_file kernel.log /tmp/kernel.log
