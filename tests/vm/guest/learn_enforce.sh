# Guest side of pending_learn_enforce.sh: learn, enforce, verify.
. /etc/aalearn-vm.sh
. /etc/aalearn-shop.sh
. /etc/aalearn-learn.sh
set -u
fail() { echo "learn_enforce: $*"; exit 1; }

learn_conf /etc/aalearn/aalearnd.conf netlink
aalearn init shop --container || fail "aalearn init"
vm_result init_mode "$(grep '^shop ' /sys/kernel/security/apparmor/profiles)"
cp /etc/apparmor.d/shop /tmp/profile.init
vm_file profile.init /tmp/profile.init

shop_peers
# The service, and a file whose name is hostile: a quote, a newline, a
# comma and rule syntax.  Its rule must match that file exactly.
hostile=$(printf '/srv/shop/x, /** rwx,"q\nz')
mkdir -p "$(dirname "$hostile")"
workload()
{
	local r
	for r in 1 2 3; do
		shop_run shop || return 1
	done
	aa-exec -p shop -- sh -c 'echo x >> "$1"' sh "$hostile" || return 1
}
learn_until_quiet shop /etc/aalearn/aalearnd.conf 4 workload || fail "learning"

aalearn enforce shop --quiet 0
vm_result enforce_rc $?
vm_result enforce_mode "$(grep '^shop ' /sys/kernel/security/apparmor/profiles)"
cp /etc/apparmor.d/shop /tmp/profile.final
vm_file profile.final /tmp/profile.final

# The same workload, enforced: it must work and leave no DENIED record.
mark=$(learn_mark)
front=$(shop_frontend_lines)
ok=0
for r in 1 2 3; do
	shop_run shop && ok=$((ok + 1))
done
aa-exec -p shop -- sh -c 'echo x >> "$1"' sh "$hostile" && vm_result enforced_hostile_ok yes
vm_settle
vm_result enforced_runs_ok $ok
vm_result enforced_frontend_lines $(($(shop_frontend_lines) - front))
learn_since "$mark" > /tmp/enforced.log
vm_file enforced.log /tmp/enforced.log

# What the workload never did: each is refused and logged as DENIED.
mark=$(learn_mark)
aa-exec -p shop -- cat /etc/shadow > /dev/null 2>&1
vm_result forbidden_shadow_rc $?
aa-exec -p shop -- sh -c 'echo x > /etc/aalearn-evil' > /dev/null 2>&1
vm_result forbidden_etc_rc $?
[ -e /etc/aalearn-evil ] && vm_result forbidden_etc_exists yes
aa-exec -p shop -- ls /root > /dev/null 2>&1
vm_result forbidden_root_rc $?
vm_settle
learn_since "$mark" > /tmp/forbidden.log
vm_file forbidden.log /tmp/forbidden.log
vm_audit_log > /tmp/kernel.log
vm_file kernel.log /tmp/kernel.log
cp /var/log/aalearnd.log /tmp/aalearnd.log 2>/dev/null && vm_file aalearnd.log /tmp/aalearnd.log
exit 0
