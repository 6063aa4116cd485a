# Guest side of pending_rollback.sh: a version that breaks the workload is
# applied, aalearn status shows the new DENIED records, rollback restores
# the version that worked and the workload runs clean again.
. /etc/aalearn-vm.sh
. /etc/aalearn-shop.sh
. /etc/aalearn-learn.sh
set -u
fail() { echo "rollback: $*"; exit 1; }

learn_conf /etc/aalearn/aalearnd.conf netlink
aalearn init shop --container || fail "aalearn init"
shop_peers
workload()
{
	local r
	for r in 1 2 3; do
		shop_run shop || return 1
	done
}
learn_until_quiet shop /etc/aalearn/aalearnd.conf 4 workload || fail "learning"
aalearn enforce shop --quiet 0 || fail "enforce"
cp /etc/apparmor.d/shop /tmp/profile.good
vm_file profile.good /tmp/profile.good
aalearn --json history shop > /tmp/history.good 2>&1
vm_file history.good /tmp/history.good
# The current version: the object of "versions" that has "current": true.
good=$(sed -n 's/.*"version": *\([0-9][0-9]*\),[^}]*"current": *true.*/\1/p' /tmp/history.good)
vm_result good_version "$good"

# The bad version: an operator's edit drops the data directory's rules and
# loads the result the operator's way (`aalearn apply` only writes accepted
# rules: with none pending it says there is nothing to apply).  Not a
# `deny` rule: explicit denials are silent, implicit ones are logged.
learn_daemon_start /etc/aalearn/aalearnd.conf || fail "daemon start"
grep -v '/srv/shop' /tmp/profile.good > /etc/apparmor.d/shop
cmp -s /tmp/profile.good /etc/apparmor.d/shop && fail "no /srv/shop rule to remove"
apparmor_parser -r /etc/apparmor.d/shop
vm_result bad_apply_rc $?
vm_result bad_mode "$(grep '^shop ' /sys/kernel/security/apparmor/profiles)"
mark=$(learn_mark)
shop_run shop
vm_result broken_run_rc $?
vm_settle
vm_result broken_denied "$(learn_since "$mark" | grep 'apparmor="DENIED"' | grep -c 'profile="shop')"
# Let the daemon flush what it saw before asking the store.
sleep 2
aalearn --json status > /tmp/status.json 2>&1
vm_result status_rc $?
vm_file status.json /tmp/status.json
aalearn status > /tmp/status.txt 2>&1
vm_file status.txt /tmp/status.txt
aalearn --json show shop > /tmp/show.json 2>&1
vm_file show.json /tmp/show.json

aalearn rollback shop ${good:+--to "$good"}
vm_result rollback_rc $?
vm_result rollback_mode "$(grep '^shop ' /sys/kernel/security/apparmor/profiles)"
cmp -s /tmp/profile.good /etc/apparmor.d/shop && vm_result rollback_identical yes
mark=$(learn_mark)
ok=0
for r in 1 2 3; do
	shop_run shop && ok=$((ok + 1))
done
vm_settle
vm_result after_rollback_ok $ok
learn_since "$mark" > /tmp/after-rollback.log
vm_file after-rollback.log /tmp/after-rollback.log
learn_daemon_stop
vm_result daemon_stop_rc $?
exit 0
