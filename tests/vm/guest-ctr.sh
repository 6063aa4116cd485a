# /etc/aalearn-ctr.sh in the test VM: run a busybox OCI bundle with runc the
# way Docker and containerd do (process.apparmorProfile, a docker-<id>.scope
# cgroup).  Sourced by scenarios after /etc/aalearn-vm.sh.

# ctr_bundle DIR PROFILE CGROUP ARG...: a bundle whose rootfs has busybox and
# its applets, and a config.json from /etc/aalearn-ctr/config.json.in.
ctr_bundle()
{
	local dir=$1 profile=$2 cgroup=$3 args= a
	shift 3
	mkdir -p "$dir/rootfs/bin" "$dir/rootfs/etc" "$dir/rootfs/srv" "$dir/rootfs/root"
	cp /bin/busybox "$dir/rootfs/bin/busybox"
	for a in $(busybox --list); do
		[ -e "$dir/rootfs/bin/$a" ] || ln -s busybox "$dir/rootfs/bin/$a"
	done
	echo 'root:x:0:0:root:/root:/bin/sh' > "$dir/rootfs/etc/passwd"
	echo 'root:x:0:' > "$dir/rootfs/etc/group"
	for a in "$@"; do
		args="$args${args:+, }\"$a\""
	done
	sed -e "s|@PROFILE@|$profile|" -e "s|@CGROUP@|$cgroup|" -e "s|@ARGS@|$args|" \
	    /etc/aalearn-ctr/config.json.in > "$dir/config.json"
}

# ctr_docker_id: 64 hex digits, as Docker names its containers.
ctr_docker_id()
{
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'
}

# ctr_pid ID: the container's init pid, once runc has started it.
ctr_pid()
{
	runc state "$1" 2>/dev/null | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p'
}
