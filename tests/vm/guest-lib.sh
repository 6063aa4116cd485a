# /etc/aalearn-vm.sh in the test VM: helpers for scenario scripts (busybox sh).
# A scenario starts with `. /etc/aalearn-vm.sh`.

# vm_result KEY VALUE...: one result line for the host.
vm_result()
{
	echo "AALEARN-RESULT $*"
}

# vm_file NAME PATH: send a file to the host, base64 between markers.
vm_file()
{
	echo "AALEARN-FILE-BEGIN $1"
	base64 < "$2"
	echo "AALEARN-FILE-END $1"
}

# vm_audit_log: the kernel's audit records so far, as dmesg prints them
# ("[    8.123456] audit: type=1400 audit(...): apparmor=...").  No auditd
# runs in the VM, so the kernel log holds every record.
vm_audit_log()
{
	dmesg | grep 'audit: type='
}

# vm_wait_records N [SECONDS]: wait until the kernel log holds at least N
# AppArmor records (kauditd prints asynchronously).
vm_wait_records()
{
	local n=$1 t=${2:-10} i=0
	while [ "$(dmesg | grep -c 'apparmor=')" -lt "$n" ] && [ $i -lt $((t * 10)) ]; do
		usleep 100000
		i=$((i + 1))
	done
}

# vm_settle: give kauditd time to print the records of what just ran;
# returns when the number of records has been stable for half a second.
vm_settle()
{
	local a b=-1 i=0
	while [ $i -lt 100 ]; do
		a=$(dmesg | grep -c 'audit: type=')
		[ "$a" = "$b" ] && return 0
		b=$a
		usleep 500000
		i=$((i + 1))
	done
}

# vm_apparmor_ok: AppArmor is enabled and its securityfs is there.
vm_apparmor_ok()
{
	[ -d /sys/kernel/security/apparmor ] &&
	    [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]
}
