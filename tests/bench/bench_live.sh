#!/bin/bash
# The live path: AppArmor-shaped USER_AVC (1107) records injected through
# the kernel's audit netlink socket (libaudit's audit_log_user_message, as
# tests/integration/test_daemon_kernel.c does) into a running aalearnd with
# `sources = netlink`, at rates stepped up.  Each step uses a profile name of
# its own; after the daemon flushed, the events stored for that profile are
# compared with the records sent.  Prints, per step, the rate asked, the rate
# reached (the injector may be slower, or the kernel may make it wait), the
# records sent and stored, and what the daemon counted as lost; then the
# highest rate with nothing lost and `aalearn status` after the first step
# that lost records; then the daemon is stopped while records keep coming
# (STALL=0 skips it), and what it lost is shown.  Asserts nothing.  Needs root and kernel audit.
# Usage: bench_live.sh BUILD_DIR   (RATES="1000 2000 ..." SECONDS_PER_STEP=3
#   INJECTORS=1: injector processes sharing each step's rate)
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
rates=${RATES:-"1000 2000 5000 10000 20000 50000 100000 150000 200000 300000 500000"}
step_secs=${SECONDS_PER_STEP:-3}
aalearnd=$build/daemon/aalearnd
aalearn=$build/cli/aalearn
if [ "$(id -u)" != 0 ]; then
	echo "bench_live: needs root (audit netlink); skipped"
	exit 0
fi
if ! python3 -c 'import ctypes; ctypes.CDLL("libaudit.so.1")' 2>/dev/null; then
	echo "bench_live: libaudit.so.1 missing; skipped"
	exit 0
fi
work=$(mktemp -d /tmp/aalearn-live.XXXXXX)
chmod 700 "$work"
pid=
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/conf" <<EOF
database = $work/db
sources = netlink
flush_interval = 200ms
EOF
"$aalearnd" -f -d "$work/db" -c "$work/conf" 2>"$work/daemon.log" &
pid=$!
for _ in $(seq 100); do
	grep -q "reading netlink" "$work/daemon.log" 2>/dev/null && break
	sleep 0.1
done
if ! kill -0 "$pid" 2>/dev/null; then
	echo "bench_live: aalearnd did not start:"; cat "$work/daemon.log"; exit 1
fi
sleep 0.5

# events: the records stored for a profile, summed over its observations.
events() {
	python3 - "$work/db" "$1" <<'EOF'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=60)
row = db.execute(
    "SELECT coalesce(sum(o.allowed + o.denied), 0) FROM observations o "
    "JOIN profiles p ON p.id = o.profile_id WHERE p.name = ?",
    (sys.argv[2].encode(),)).fetchone()
print(row[0])
EOF
}

# lost: what the store counts as lost for the netlink source, by the daemon
# (socket overflow) and by the kernel (backlog), as "socket kernel".
lost() {
	python3 - "$work/db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=60)
row = db.execute("SELECT coalesce(sum(lost), 0), coalesce(sum(kernel_lost), 0) "
                 "FROM sources WHERE CAST(source AS TEXT) LIKE 'netlink%'").fetchone()
print(row[0], row[1])
EOF
}

# The injector: C when a compiler and libaudit's header are here (Python
# with ctypes tops out near 70,000 records/s), else Python.
cat >"$work/inject.c" <<'EOF'
#include <libaudit.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	const char *prof = argv[1];
	double rate = atof(argv[2]), secs = atof(argv[3]), start;
	long total = (long)(rate * secs), sent = 0, due;
	char msg[4][512];
	int fd = audit_open(), i;

	if (argc != 4 || fd < 0)
		return 1;
	for (i = 0; i < 4; i++)
		snprintf(msg[i], sizeof(msg[i]), "apparmor=\"DENIED\" "
		    "operation=\"dbus_method_call\" bus=\"system\" "
		    "path=\"/org/aalearn/Bench\" interface=\"org.aalearn.Bench\" "
		    "member=\"M%d\" mask=\"send\" name=\"org.aalearn.bench\" "
		    "pid=%d label=\"%s\" peer_pid=1 peer_label=\"unconfined\"",
		    i, (int)getpid(), prof);
	start = now();
	while (sent < total) {
		due = (long)((now() - start) * rate) + 1;
		if (due > total)
			due = total;
		for (; sent < due; sent++)
			if (audit_log_user_message(fd, AUDIT_USER_AVC,
			    msg[sent % 4], NULL, NULL, NULL, 1) <= 0) {
				perror("audit_log_user_message");
				return 1;
			}
		if (sent < total)
			usleep(200);
	}
	printf("%ld %.3f\n", sent, now() - start);
	return 0;
}
EOF
cinject=
if ${CC:-cc} -O2 -o "$work/inject" "$work/inject.c" -laudit 2>/dev/null; then
	cinject=$work/inject
fi

# inject PROFILE RATE SECONDS: prints "sent elapsed_seconds".  With
# INJECTORS=N (C injector only), N processes share the rate: one process
# waits for the kernel's answer to each record, which caps its rate.
inject() {
	local i n=${INJECTORS:-1}
	if [ -n "$cinject" ] && [ "$n" -gt 1 ]; then
		for i in $(seq "$n"); do
			"$cinject" "$1" "$(($2 / n))" "$3" >"$work/inj.$i" &
		done
		wait
		cat "$work"/inj.* | awk '{ s += $1; if ($2 > t) t = $2 }
		    END { printf "%d %.3f\n", s, t }'
		rm -f "$work"/inj.*
		return
	fi
	if [ -n "$cinject" ]; then
		"$cinject" "$@"
		return
	fi
	python3 - "$@" <<'EOF'
import ctypes, os, sys, time
prof, rate, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
lib = ctypes.CDLL("libaudit.so.1", use_errno=True)
lib.audit_open.restype = ctypes.c_int
lib.audit_log_user_message.argtypes = [ctypes.c_int, ctypes.c_int,
    ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
    ctypes.c_int]
fd = lib.audit_open()
if fd < 0:
    sys.exit("audit_open failed: errno %d" % ctypes.get_errno())
total = int(rate * secs)
msgs = [("apparmor=\"DENIED\" operation=\"dbus_method_call\" bus=\"system\" "
         "path=\"/org/aalearn/Bench\" interface=\"org.aalearn.Bench\" "
         "member=\"M%d\" mask=\"send\" name=\"org.aalearn.bench\" pid=%d "
         "label=\"%s\" peer_pid=1 peer_label=\"unconfined\""
         % (i, os.getpid(), prof)).encode() for i in range(4)]
send = lib.audit_log_user_message
start = time.monotonic()
sent = 0
while sent < total:
    # Pace in slices of a millisecond's worth of records.
    due = int((time.monotonic() - start) * rate) + 1
    while sent < min(due, total):
        if send(fd, 1107, msgs[sent % 4], None, None, None, 1) <= 0:
            sys.exit("audit_log_user_message failed: errno %d"
                     % ctypes.get_errno())
        sent += 1
    if sent < total and sent >= due:
        time.sleep(0.0005)
print(sent, "%.3f" % (time.monotonic() - start))
EOF
}

printf '%-10s %-10s %-9s %-9s %-9s %s\n' "asked/s" "reached/s" "sent" "stored" "missing" "lost(socket,kernel)"
best=0
shown=0
read -r lost0 klost0 < <(lost)
for rate in $rates; do
	prof="aalearn-bench-live-$rate-$$"
	read -r sent secs < <(inject "$prof" "$rate" "$step_secs")
	# Let kauditd deliver and the daemon flush what it read.
	stored=0
	for _ in $(seq 50); do
		sleep 0.2
		stored=$(events "$prof")
		[ "$stored" -ge "$sent" ] && break
	done
	sleep 0.5
	stored=$(events "$prof")
	read -r lost1 klost1 < <(lost)
	reached=$(awk -v n="$sent" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
	printf '%-10s %-10s %-9s %-9s %-9s %s\n' "$rate" "$reached" "$sent" \
		"$stored" "$((sent - stored))" "$((lost1 - lost0)),$((klost1 - klost0))"
	if [ "$stored" -eq "$sent" ]; then
		# Below the first step that lost records only: a loss makes
		# the daemon raise its socket buffer, later steps gain from it.
		[ "$shown" = 0 ] && [ "$reached" -gt "$best" ] && best=$reached
	elif [ "$shown" = 0 ]; then
		shown=1
		"$aalearn" --db "$work/db" status >"$work/status.out" 2>&1 || true
	fi
	lost0=$lost1 klost0=$klost1
	kill -0 "$pid" 2>/dev/null || { echo "aalearnd exited:"; tail -20 "$work/daemon.log"; exit 1; }
done
echo "highest rate with nothing lost (before the first loss): $best records/s"
if [ "$shown" = 1 ]; then
	echo "== aalearn status after the first step that lost records"
	cat "$work/status.out"
else
	echo "no step lost records: the injector, not aalearnd, set the ceiling"
fi

# Beyond what the daemon can take: it is stopped (SIGSTOP, as a daemon
# starved of CPU would be) while records keep coming, so its socket buffer
# overflows.  What was lost must be counted, and shown by `aalearn status`.
if [ "${STALL:-1}" != 0 ]; then
	prof="aalearn-bench-live-stall-$$"
	kill -STOP "$pid"
	read -r sent secs < <(inject "$prof" 50000 "${STALL_SECONDS:-2}")
	kill -CONT "$pid"
	# The daemon measures a loss from the gap in serials when the next
	# record arrives: on a live host records keep coming.
	sleep 0.5
	read -r sent2 _ < <(inject "$prof" 1000 0.2)
	sent=$((sent + sent2))
	for _ in $(seq 50); do
		sleep 0.2
		[ "$(lost | cut -d' ' -f1)" != "$lost0" ] && break
	done
	sleep 1.5
	stored=$(events "$prof")
	read -r lost1 klost1 < <(lost)
	echo "== the daemon stopped for ${secs}s while $((sent - sent2)) records were sent, then $sent2 more"
	echo "stored $stored, missing $((sent - stored)), counted lost: socket $((lost1 - lost0)), kernel $((klost1 - klost0))"
	"$aalearn" --db "$work/db" status 2>&1 | sed 's/^/  | /'
fi
echo "== aalearnd's log (last lines)"
tail -5 "$work/daemon.log"
