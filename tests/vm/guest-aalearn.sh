# /etc/aalearn-learn.sh in the test VM: drive aalearnd and the aalearn CLI
# (busybox sh).  Sourced after /etc/aalearn-vm.sh.
export AALEARN_DB=${AALEARN_DB:-/var/lib/aalearn/aalearn.db}
export AALEARN_PROFILE_DIR=${AALEARN_PROFILE_DIR:-/etc/apparmor.d}
mkdir -p /etc/aalearn "$AALEARN_PROFILE_DIR"
mkdir -p -m 0700 "$(dirname "$AALEARN_DB")"

# learn_conf FILE SOURCES: a daemon config reading SOURCES (netlink, kmsg)
# and flushing often, so that a test does not wait for the default second.
learn_conf()
{
	printf 'sources = %s\nflush_interval = 200ms\ndatabase = %s\n' \
	    "$2" "$AALEARN_DB" > "$1"
}

# learn_probe_setup: a complain profile of its own, so that readiness is
# proven end to end (kernel -> source -> store -> CLI) without touching the
# profiles under test.
learn_probe_setup()
{
	[ -e /run/aalearn-probe.loaded ] && return 0
	echo probe > /etc/aalearn-probe
	printf 'profile aalearn-probe flags=(complain) {\n}\n' > /run/aalearn-probe.profile
	apparmor_parser -r /run/aalearn-probe.profile && touch /run/aalearn-probe.loaded
}

# learn_daemon_start CONF: start aalearnd in the background and wait until a
# fresh AppArmor record has reached the store (at most 30 s).  Returns 1 when
# the daemon died or never got there (its log is printed).
learn_daemon_start()
{
	local i=0
	learn_probe_setup || return 1
	aalearnd -f -c "$1" -d "$AALEARN_DB" >> /var/log/aalearnd.log 2>&1 &
	echo $! > /run/aalearnd.pid
	while [ $i -lt 60 ]; do
		if ! kill -0 "$(cat /run/aalearnd.pid)" 2>/dev/null; then
			echo "aalearnd exited at start:"; cat /var/log/aalearnd.log
			return 1
		fi
		aa-exec -p aalearn-probe -- cat /etc/aalearn-probe > /dev/null 2>&1
		if aalearn --json profiles 2>/dev/null | grep -q aalearn-probe; then
			return 0
		fi
		usleep 500000
		i=$((i + 1))
	done
	echo "aalearnd never stored a record:"; cat /var/log/aalearnd.log
	return 1
}

# learn_daemon_spawn CONF: start aalearnd without waiting for it (a restart
# after SIGKILL, where the store already knows the probe).
learn_daemon_spawn()
{
	aalearnd -f -c "$1" -d "$AALEARN_DB" >> /var/log/aalearnd.log 2>&1 &
	echo $! > /run/aalearnd.pid
}

# learn_daemon_stop [SIGNAL]: stop it (TERM by default, which must flush and
# exit 0) and return its exit status.
learn_daemon_stop()
{
	local pid rc
	pid=$(cat /run/aalearnd.pid)
	kill -"${1:-TERM}" "$pid"
	wait "$pid"
	rc=$?
	rm -f /run/aalearnd.pid
	return $rc
}

# learn_records [PATTERN]: AppArmor records in the kernel log so far
# (optionally only those matching PATTERN).
learn_records()
{
	if [ -n "${1:-}" ]; then
		dmesg | grep 'apparmor=' | grep -- "$1"
	else
		dmesg | grep 'apparmor='
	fi
}

# learn_mark: a mark in the kernel log; learn_since MARK prints the
# AppArmor records after it.
learn_mark()
{
	learn_records | wc -l
}

learn_since()
{
	learn_records | tail -n +$(($1 + 1))
}

# learn_until_quiet PROFILE CONF ROUNDS CMD...: the loop a person runs.
# Each round: daemon up, run CMD, daemon down (SIGTERM, exit 0), then
# `aalearn diff PROFILE`: exit 0 means nothing left to learn; exit 1 means
# accept everything and apply, and go again.  Results: learn_rounds,
# learn_quiet, and each round's diff as file diff.N.  Returns 1 on an error.
learn_until_quiet()
{
	local profile=$1 conf=$2 max=$3 round=0 rc
	shift 3
	while [ $round -lt "$max" ]; do
		round=$((round + 1))
		learn_daemon_start "$conf" || return 1
		"$@" || vm_result workload_failed "round $round"
		vm_settle
		learn_daemon_stop
		rc=$?
		vm_result daemon_stop_rc_$round $rc
		[ $rc = 0 ] || { cat /var/log/aalearnd.log; return 1; }
		aalearn diff "$profile" > /tmp/diff.$round 2>&1
		rc=$?
		vm_file diff.$round /tmp/diff.$round
		if [ $rc = 0 ]; then
			vm_result learn_rounds $round
			vm_result learn_quiet yes
			return 0
		fi
		[ $rc = 1 ] || { cat /tmp/diff.$round; return 1; }
		aalearn review "$profile" --accept-all || return 1
		aalearn apply "$profile" || return 1
	done
	vm_result learn_rounds $round
	vm_result learn_quiet no
	return 0
}
