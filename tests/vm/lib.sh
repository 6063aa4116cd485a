# tests/vm/lib.sh - boot Debian 12's own kernel (AppArmor built in) under QEMU
# with an initramfs root, run a scenario script inside, and bring its results
# back over the serial console.  Sourced by tests/vm/scenario_*.sh,
# tests/vm/pending_*.sh and tests/vm/record-demo.sh (bash).
#
# Everything in the guest comes from Debian packages fetched with
# `apt-get download` into a cache outside the repository, plus the binaries
# under test and the shared libraries `ldd` finds for them on the host (the
# host is Debian 12 as well).
#
# Environment:
#   AALEARN_VM_CACHE    download cache (default /var/cache/aalearn-vm)
#   AALEARN_VM_TIMEOUT  seconds before a boot is killed (default 600)
#   AALEARN_VM_KEEP     set to keep the work directory for inspection
#   AALEARN_BIN, AALEARND_BIN  the binaries put into the guest (set by CTest)
#
# Protocol on the console (all other lines are the kernel's or the
# scenario's chatter, kept in the console log):
#   AALEARN-BOOTED                     /init reached the scenario
#   AALEARN-RESULT KEY VALUE...        one result, see vm_result in the guest
#   AALEARN-FILE-BEGIN NAME            a file, base64, up to
#   AALEARN-FILE-END NAME
#   AALEARN-EXIT RC                    the scenario's exit status

VM_CACHE=${AALEARN_VM_CACHE:-/var/cache/aalearn-vm}
VM_TIMEOUT=${AALEARN_VM_TIMEOUT:-600}
VM_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The Debian packages the guest is made of; linux-image-amd64 is the meta
# package, resolved to the real versioned image below.
VM_DEBS="linux-image-amd64 busybox-static apparmor runc libseccomp2"
# Kernel modules the scenarios need.  Debian's stock kernel has built in all
# that an initramfs root on a serial console uses (8250 console, tmpfs,
# devtmpfs, securityfs, AppArmor, audit, namespaces, cgroup2, unix and inet
# sockets, loopback), so the list is empty; vm_add_modules handles a
# non-empty one.
VM_MODULES=${VM_MODULES:-}

vm_log()
{
	echo "vm: $*" >&2
}

vm_die()
{
	echo "vm: FAIL: $*" >&2
	exit 1
}

# Print the tools that are missing on the host.
vm_host_missing()
{
	local t missing=
	for t in qemu-system-x86_64 cpio gzip apt-get dpkg-deb ldd base64 timeout flock; do
		command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
	done
	echo "$missing"
}

# Fetch the packages once into $VM_CACHE/debs and unpack them into
# $VM_CACHE/root.  A stamp names the exact versions, so a new kernel in
# the archive gives a fresh root while an unchanged archive costs nothing.
vm_fetch()
{
	local missing debs=$VM_CACHE/debs root=$VM_CACHE/root p dep stamp want d
	missing=$(vm_host_missing)
	[ -z "$missing" ] || vm_die "missing host tools:$missing (run 'sh .ci/deps.sh check' as root)"
	mkdir -p "$debs" || vm_die "cannot create $debs"
	# One fetcher at a time (a scenario and record-demo.sh may overlap).
	exec 9> "$VM_CACHE/.lock"
	flock 9
	# apt-get download writes to the current directory; _apt cannot write
	# into a root-owned cache, so it runs unsandboxed (the warning is noise).
	for p in $VM_DEBS; do
		if ! ls "$debs/${p}_"*.deb >/dev/null 2>&1; then
			vm_apt_download "$debs" "$p" || vm_die "apt-get download $p failed"
		fi
	done
	dep=$(dpkg-deb -f "$(ls "$debs"/linux-image-amd64_*.deb | tail -n 1)" Depends | \
	    sed -n 's/^\(linux-image-[0-9][^ ,]*\).*/\1/p')
	[ -n "$dep" ] || vm_die "cannot resolve linux-image-amd64's kernel package"
	if ! ls "$debs/${dep}_"*.deb >/dev/null 2>&1; then
		vm_apt_download "$debs" "$dep" || vm_die "apt-get download $dep failed"
	fi
	want=$(cd "$debs" && for p in $VM_DEBS $dep; do ls "${p}_"*.deb | tail -n 1; done)
	stamp=$root/.aalearn-stamp
	if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$(echo "$want $VM_MODULES")" ]; then
		vm_log "unpacking $(echo $want)"
		rm -rf "$root" "$root.new"
		mkdir -p "$root.new"
		for d in $want; do
			case "$d" in
			linux-image-[0-9]*)
				# The image and the module index (400 MB less on
				# disk); the modules themselves only when asked.
				if [ -n "$VM_MODULES" ]; then
					dpkg-deb -x "$debs/$d" "$root.new" || vm_die "dpkg-deb -x $d"
				else
					dpkg-deb --fsys-tarfile "$debs/$d" | tar -x -C "$root.new" \
					    --wildcards './boot/*' './lib/modules/*/modules.*' ||
					    vm_die "unpacking $d"
				fi
				;;
			*)
				dpkg-deb -x "$debs/$d" "$root.new" || vm_die "dpkg-deb -x $d"
				;;
			esac
		done
		echo "$want $VM_MODULES" > "$root.new/.aalearn-stamp"
		mv "$root.new" "$root"
	fi
	flock -u 9
	exec 9>&-
	VM_ROOT=$root
	VM_KERNEL=$(ls "$root"/boot/vmlinuz-* | tail -n 1)
	VM_KVER=${VM_KERNEL##*/vmlinuz-}
	[ -f "$VM_KERNEL" ] || vm_die "no kernel in $root/boot"
}

vm_apt_download()
{
	local dir=$1 pkg=$2
	# A clean machine may have no package lists yet.
	if ! (cd "$dir" && apt-get download -q "$pkg" 2>/dev/null >/dev/null); then
		apt-get update -qq >/dev/null 2>&1 || true
		(cd "$dir" && apt-get download -q "$pkg" 2>&1 >/dev/null | \
		    grep -v 'unsandboxed' >&2; exit "${PIPESTATUS[0]}") || return 1
	fi
}

# Copy a file from the host or the unpacked root into the staging tree,
# with the shared libraries ldd finds for it.
vm_add_file()
{
	local stage=$1 src=$2 dst=$3
	mkdir -p "$stage$(dirname "$dst")"
	cp -L "$src" "$stage$dst" || vm_die "cannot copy $src"
}

vm_add_libs()
{
	local stage=$1 bin=$2 lib out
	out=$(ldd "$bin" 2>&1) || return 0	# static: nothing to add
	if grep -q 'not found' <<< "$out"; then
		vm_die "$bin needs libraries the host lacks: $(grep 'not found' <<< "$out" | tr -s ' \t' ' ')"
	fi
	for lib in $(echo "$out" | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[ \t]*\(\/[^ ]*\) (.*/\1/p'); do
		[ -e "$stage$lib" ] || vm_add_file "$stage" "$lib" "$lib"
	done
}

# Add a program and its libraries.
vm_add_prog()
{
	local stage=$1 src=$2 dst=$3
	vm_add_file "$stage" "$src" "$dst"
	chmod 0755 "$stage$dst"
	vm_add_libs "$stage" "$src"
}

vm_add_modules()
{
	local stage=$1 m path dep moddir=$VM_ROOT/lib/modules/$VM_KVER
	: > "$stage/etc/aalearn-modules"
	[ -n "$VM_MODULES" ] || return 0
	# The package ships no modules.dep (its postinst runs depmod).
	if [ ! -f "$moddir/modules.dep" ]; then
		"$VM_ROOT/bin/busybox" depmod -b "$VM_ROOT" "$VM_KVER" ||
		    vm_die "depmod for $VM_KVER failed"
	fi
	for m in $VM_MODULES; do
		# modules.dep lists dependencies after the colon, deepest last.
		dep=$(grep -E "(^|/)$m\.ko(\.[a-z]+)?:" "$moddir/modules.dep") || \
		    vm_die "module $m not in $moddir/modules.dep"
		for path in $(echo "$dep" | sed 's/^\([^:]*\):\(.*\)/\2 \1/' | tr ' ' '\n' | tac); do
			[ -n "$path" ] || continue
			grep -qx "/lib/modules/$path" "$stage/etc/aalearn-modules" && continue
			vm_add_file "$stage" "$moddir/$path" "/lib/modules/$path"
			echo "/lib/modules/$path" >> "$stage/etc/aalearn-modules"
		done
	done
}

# vm_initrd OUT GUEST_SCRIPT [PAYLOAD_DIR]
# Build a gzip'd newc cpio: busybox and its applets, apparmor_parser, runc,
# aalearn and aalearnd (when $AALEARN_BIN / $AALEARND_BIN name files),
# /init, the guest helpers, the scenario as /scenario.sh, and PAYLOAD_DIR's
# tree copied to the root.
vm_initrd()
{
	local out=$1 script=$2 payload=${3:-} stage a
	stage=$(mktemp -d "${TMPDIR:-/tmp}/aalearn-vm-stage.XXXXXX")
	mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,proc,sys,dev,tmp,run,root,var/log,lib64}
	chmod 1777 "$stage/tmp"
	vm_add_prog "$stage" "$VM_ROOT/bin/busybox" /bin/busybox
	for a in $("$VM_ROOT/bin/busybox" --list-full); do
		[ -e "$stage/$a" ] || ln -s /bin/busybox "$stage/$a"
	done
	vm_add_prog "$stage" "$VM_ROOT/sbin/apparmor_parser" /sbin/apparmor_parser
	vm_add_prog "$stage" "$VM_ROOT/usr/sbin/runc" /usr/sbin/runc
	vm_add_prog "$stage" "$VM_ROOT/usr/bin/aa-exec" /usr/bin/aa-exec
	# The parser's configuration and the policy it includes (abstractions,
	# tunables, abi), but none of the package's profiles.
	mkdir -p "$stage/etc/apparmor.d"
	cp -a "$VM_ROOT/etc/apparmor" "$stage/etc/"
	mkdir -p "$stage/usr/share"
	cp -a "$VM_ROOT/usr/share/apparmor-features" "$stage/usr/share/"
	for a in abi abstractions tunables local; do
		[ -d "$VM_ROOT/etc/apparmor.d/$a" ] && cp -a "$VM_ROOT/etc/apparmor.d/$a" "$stage/etc/apparmor.d/"
	done
	if [ -n "${AALEARN_BIN:-}" ] && [ -x "$AALEARN_BIN" ]; then
		vm_add_prog "$stage" "$AALEARN_BIN" /usr/bin/aalearn
	fi
	if [ -n "${AALEARND_BIN:-}" ] && [ -x "$AALEARND_BIN" ]; then
		vm_add_prog "$stage" "$AALEARND_BIN" /usr/sbin/aalearnd
	fi
	vm_add_modules "$stage"
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
	    > "$stage/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' > "$stage/etc/group"
	printf 'root:*:19000:0:99999:7:::\n' > "$stage/etc/shadow"
	chmod 0640 "$stage/etc/shadow"
	printf '127.0.0.1 localhost\n' > "$stage/etc/hosts"
	cp "$VM_LIB_DIR/guest-init.sh" "$stage/init"
	cp "$VM_LIB_DIR/guest-lib.sh" "$stage/etc/aalearn-vm.sh"
	cp "$VM_LIB_DIR/guest-ctr.sh" "$stage/etc/aalearn-ctr.sh"
	cp "$VM_LIB_DIR/guest-aalearn.sh" "$stage/etc/aalearn-learn.sh"
	mkdir -p "$stage/etc/aalearn-ctr"
	cp "$VM_LIB_DIR/ctr/config.json.in" "$stage/etc/aalearn-ctr/"
	cp "$script" "$stage/scenario.sh"
	# The sanitizers' settings of the host's test run hold in the guest too.
	{
		for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
			[ -n "${!v:-}" ] && printf "export %s='%s'\n" "$v" "${!v}"
		done
	} > "$stage/etc/aalearn-env"
	chmod 0755 "$stage/init" "$stage/scenario.sh"
	if [ -n "$payload" ]; then
		cp -a "$payload/." "$stage/" || vm_die "cannot copy payload $payload"
	fi
	(cd "$stage" && find . -print0 | LC_ALL=C sort -z | \
	    cpio --null -o -H newc --quiet -R 0:0) | gzip -1 > "$out" || vm_die "cpio failed"
	rm -rf "$stage"
}

# vm_payload_shop DIR: the demo service (tests/vm/demo/) into a payload
# tree: /usr/local/bin/shop-worker and shop-frontend, /etc/shop/, and the
# guest helpers /etc/aalearn-shop.sh.
vm_payload_shop()
{
	local dir=$1
	mkdir -p "$dir/usr/local/bin" "$dir/etc/shop"
	cp "$VM_LIB_DIR/demo/shop-worker" "$dir/usr/local/bin/shop-worker"
	cp "$VM_LIB_DIR/demo/frontend" "$dir/usr/local/bin/shop-frontend"
	chmod 0755 "$dir/usr/local/bin/shop-worker" "$dir/usr/local/bin/shop-frontend"
	cp "$VM_LIB_DIR/demo/worker.conf" "$VM_LIB_DIR/demo/items.list" "$dir/etc/shop/"
	cp "$VM_LIB_DIR/demo/shop-guest.sh" "$dir/etc/aalearn-shop.sh"
}

# vm_boot INITRD CONSOLE_LOG
# Boot and wait; the console goes to CONSOLE_LOG (carriage returns removed).
# Returns 0 when the scenario ran to its end and exited 0, 1 otherwise.
vm_boot()
{
	local initrd=$1 log=$2 rc start
	start=$(date +%s)
	# The kernel's own messages stay off the console ("quiet"), so they do
	# not interleave with the scenario's lines; audit_backlog_limit keeps a
	# burst of records from being dropped before printk sees them, and
	# log_buf_len keeps them all for dmesg.
	timeout -k 10 "$VM_TIMEOUT" qemu-system-x86_64 -accel tcg,thread=multi -cpu max \
	    -m 1024 -smp 2 -nographic -no-reboot \
	    -kernel "$VM_KERNEL" -initrd "$initrd" \
	    -append "console=ttyS0 panic=-1 apparmor=1 security=apparmor quiet audit_backlog_limit=8192 log_buf_len=8M" \
	    </dev/null 2>&1 | tr -d '\r' > "$log"
	rc=${PIPESTATUS[0]}
	VM_BOOT_SECONDS=$(( $(date +%s) - start ))
	vm_log "boot took ${VM_BOOT_SECONDS}s (qemu exit $rc)"
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		vm_log "timed out after ${VM_TIMEOUT}s; console log follows"
		cat "$log" >&2
		return 1
	fi
	if ! grep -q '^AALEARN-EXIT ' "$log"; then
		vm_log "the scenario did not finish; console log follows"
		cat "$log" >&2
		return 1
	fi
	if ! grep -q '^AALEARN-EXIT 0$' "$log"; then
		vm_log "the scenario failed in the guest; console log follows"
		cat "$log" >&2
		return 1
	fi
	return 0
}

# vm_extract CONSOLE_LOG OUTDIR: write each AALEARN-FILE to OUTDIR/NAME and
# the results to OUTDIR/results (one "KEY VALUE..." a line).
vm_extract()
{
	local log=$1 dir=$2
	mkdir -p "$dir"
	sed -n 's/^AALEARN-RESULT //p' "$log" > "$dir/results"
	awk -v dir="$dir" '
		/^AALEARN-FILE-BEGIN / { name = $2; f = dir "/" name ".b64"; printf "" > f; next }
		/^AALEARN-FILE-END / { close(f); name = ""; next }
		name != "" { print >> f }
	' "$log"
	local b
	for b in "$dir"/*.b64; do
		[ -e "$b" ] || continue
		base64 -d < "$b" > "${b%.b64}" || vm_die "corrupt file ${b##*/} in the console log"
		rm -f "$b"
	done
}

# vm_result DIR KEY: the value of a result, empty when absent.
vm_result()
{
	sed -n "s/^$2 //p" "$1/results" | tail -n 1
}

# vm_run NAME GUEST_SCRIPT [PAYLOAD_DIR]: fetch, build, boot, extract into
# $VM_WORK/NAME/.  Dies (with the console log) when the guest fails.
vm_run()
{
	local name=$1 script=$2 payload=${3:-}
	[ -n "${VM_ROOT:-}" ] || vm_fetch
	vm_workdir
	vm_initrd "$VM_WORK/$name.initrd.gz" "$script" "$payload"
	vm_log "$name: initrd $(du -k "$VM_WORK/$name.initrd.gz" | cut -f1) KiB, kernel $VM_KVER"
	vm_boot "$VM_WORK/$name.initrd.gz" "$VM_WORK/$name.console" || vm_die "$name: guest failed"
	vm_extract "$VM_WORK/$name.console" "$VM_WORK/$name"
}

vm_workdir()
{
	if [ -z "${VM_WORK:-}" ]; then
		VM_WORK=$(mktemp -d "${TMPDIR:-/tmp}/aalearn-vm.XXXXXX")
		if [ -z "${AALEARN_VM_KEEP:-}" ]; then
			trap 'rm -rf "$VM_WORK"' EXIT
		else
			vm_log "work directory $VM_WORK kept"
		fi
	fi
}

# Checks for scenario scripts: print what failed, count failures.
VM_FAILS=0
vm_check()
{
	local what=$1
	shift
	if "$@"; then
		echo "ok: $what"
	else
		echo "FAIL: $what" >&2
		VM_FAILS=$((VM_FAILS + 1))
	fi
}

vm_finish()
{
	if [ "$VM_FAILS" -ne 0 ]; then
		echo "vm: $VM_FAILS check(s) failed; console log: ${VM_LAST_CONSOLE:-see above}" >&2
		[ -n "${VM_LAST_CONSOLE:-}" ] && [ -f "$VM_LAST_CONSOLE" ] && cat "$VM_LAST_CONSOLE" >&2
		exit 1
	fi
	exit 0
}
