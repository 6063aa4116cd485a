#!/bin/bash
# The flood, full size (issue 10, hardening): one profile ("flood") names a
# million distinct paths, while a quiet profile ("quiet") makes a small known
# set of accesses in between.  The real daemon reads the whole auditd-format
# log (sources = auditlog, read_backlog = yes) with the default cap of
# max_observations_per_profile; afterwards the store must hold exactly the
# cap for "flood", count every record beyond it as overflow, show that
# overflow in `aalearn status`, and hold every access of "quiet" with its
# exact count.  The same is run with a tenth of the names, and the daemon's
# peak RSS (VmHWM) of both runs is compared: memory must not follow the
# number of names.  tests/integration/test_daemon_flood.c is the small
# version run by `make check`; this is the documented long run (docs/flood.md).
#
# Prints the figures and one MATCH or MISMATCH line per check; exits 1 on a
# MISMATCH, 2 when the daemon does not start, dies or stalls.
# Usage: bench_flood.sh BUILD_DIR   (a Release build of aalearnd and aalearn)
#   SIZES="1000000 100000"  names per run, the first is the big one
#   CAP=100000              max_observations_per_profile (100000 = default;
#                           set it only to try another cap)
#   QUIET_PATHS=500         distinct paths of the quiet profile
#   TIMEOUT=1800            seconds a run may take to read its log
#   PROC_ROOT=DIR           the daemon's proc_root (default /proc; an empty
#                           directory shows what attribution costs, since
#                           every record's pid is then looked up in vain)
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
sizes=${SIZES:-"1000000 100000"}
cap=${CAP:-100000}
quiet_paths=${QUIET_PATHS:-500}
timeout=${TIMEOUT:-1800}
aalearnd=$build/daemon/aalearnd
aalearn=$build/cli/aalearn
for b in "$aalearnd" "$aalearn"; do
	if [ ! -x "$b" ]; then
		echo "bench_flood: $b missing; build the aalearnd and aalearn targets"
		exit 2
	fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/aalearn-flood.XXXXXX")
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

mismatches=0
# check LABEL GOT WANT: one MATCH or MISMATCH line.
check() {
	if [ "$2" = "$3" ]; then
		printf '  MATCH     %s: %s\n' "$1" "$2"
	else
		printf '  MISMATCH  %s: got %s, want %s\n' "$1" "$2" "$3"
		mismatches=$((mismatches + 1))
	fi
}

now_ms() { date +%s%3N; }

# vmhwm PID: the process's peak resident set, kB ("" once it is gone).
vmhwm() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || true
}

# cpu_s PID: the process's user and system CPU time so far, in seconds.
cpu_s() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.1f %.1f", $12 / hz, $13 / hz }' \
		"/proc/$1/stat" 2>/dev/null || true
}

# gen N DIR: writes DIR/audit.log (N flood records, the quiet records spread
# evenly between them, every line an AppArmor AVC record of its own event)
# and DIR/quiet.json, the quiet profile's expected count per path.  Prints
# "lines flood_records quiet_records".
gen() {
	nice -n 5 python3 - "$1" "$quiet_paths" "$2" <<'EOF'
import json, random, sys
n, qpaths, d = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
# The quiet profile: path j is opened 2 + j % 5 times (2..6), so a lost or
# doubled record changes a count the check compares.
want = {"/etc/quiet/conf.d/%04d.conf" % j: 2 + j % 5 for j in range(qpaths)}
quiet = [p for p, k in want.items() for _ in range(k)]
random.Random(10).shuffle(quiet)
fmt = ('type=AVC msg=audit(%d.%03d:%d): apparmor="ALLOWED" operation="open" '
       'class="file" profile="%s" name="%s" pid=%d comm="%s" '
       'requested_mask="r" denied_mask="r" fsuid=1000 ouid=0\n')
# One quiet record after every `step` flood records, the rest at the end.
step = max(1, n // (len(quiet) + 1))
t0, serial, qi = 1790000000, 0, 0
with open(d + "/audit.log", "w") as out:
    buf = []
    def emit(prof, name, pid, comm):
        global serial
        serial += 1
        ms = serial  # one record a millisecond: timestamps stay increasing
        buf.append(fmt % (t0 + ms // 1000, ms % 1000, serial, prof, name,
                          pid, comm))
    for i in range(n):
        # Distinct names of several shapes, as a process writing temporary
        # files or walking a tree would make them.
        k = i % 4
        if k == 0:
            name = "/var/tmp/flood/session-%07d.tmp" % i
        elif k == 1:
            name = "/srv/data/%02x/%02x/obj-%d" % (i % 251, i % 241, i)
        elif k == 2:
            name = "/home/u%d/.cache/flood/%08x" % (i % 97, (i * 2654435761) % 2**32)
        else:
            name = "/tmp/flood.%d/part%d" % (i % 1009, i)
        emit("flood", name, 1, "flood")
        if (i + 1) % step == 0 and qi < len(quiet):
            emit("quiet", quiet[qi], 1, "quiet")
            qi += 1
        if len(buf) >= 10000:
            out.writelines(buf)
            buf.clear()
    while qi < len(quiet):
        emit("quiet", quiet[qi], 1, "quiet")
        qi += 1
    out.writelines(buf)
with open(d + "/quiet.json", "w") as f:
    json.dump(want, f)
print(serial, n, len(quiet))
EOF
}

# jget FILE EXPR: evaluates a Python expression over the JSON document j.
jget() {
	python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$1" "$2"
}

declare -A rss_of secs_of
run() {
	local n=$1 d=$work/run-$1 lines nflood nquiet t0 t_read t_end
	local read=0 hwm=0 h st cpu
	mkdir -m 700 "$d" "$d/pd"
	echo "== $n distinct names for profile flood (cap $cap)"
	t0=$(now_ms)
	read -r lines nflood nquiet < <(gen "$n" "$d")
	printf '  log: %s records (%s flood, %s quiet over %s paths), %s MB, written in %.1f s\n' \
		"$lines" "$nflood" "$nquiet" "$quiet_paths" \
		"$(du -m "$d/audit.log" | cut -f1)" \
		"$(awk -v a="$t0" -v b="$(now_ms)" 'BEGIN { print (b - a) / 1000 }')"
	{
		echo "sources = auditlog"
		echo "audit_log = $d/audit.log"
		echo "read_backlog = yes"
		echo "database = $d/db"
		echo "status_file = $d/status"
		# The default cap, written out so a changed default cannot change
		# what this run measures unnoticed.
		echo "max_observations_per_profile = $cap"
		[ -z "${PROC_ROOT:-}" ] || echo "proc_root = $PROC_ROOT"
	} >"$d/conf"
	export AALEARN_DB=$d/db AALEARN_STATUS_FILE=$d/status
	export AALEARN_PROFILE_DIR=$d/pd AALEARN_SECURITYFS=$d/no-securityfs
	export NO_COLOR=1

	t0=$(now_ms)
	"$aalearnd" -f -d "$d/db" -c "$d/conf" 2>"$d/daemon.log" &
	pid=$!
	# Wait until the source's read count, committed by the daemon's
	# flushes, reaches the records written.
	while :; do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "bench_flood: aalearnd exited early:"
			tail -20 "$d/daemon.log"
			exit 2
		fi
		h=$(vmhwm "$pid")
		[ -n "$h" ] && [ "$h" -gt "$hwm" ] && hwm=$h
		if [ -e "$d/db" ] &&
		    "$aalearn" --json status >"$d/poll.json" 2>/dev/null; then
			read=$(jget "$d/poll.json" \
			    'sum(s["read"] for s in j["sources"])')
			[ "$read" -ge "$lines" ] && break
		fi
		if [ $(($(now_ms) - t0)) -gt $((timeout * 1000)) ]; then
			echo "bench_flood: the daemon read $read of $lines records in ${timeout} s"
			tail -20 "$d/daemon.log"
			exit 2
		fi
		sleep 0.5
	done
	t_read=$(now_ms)
	h=$(vmhwm "$pid")
	[ -n "$h" ] && [ "$h" -gt "$hwm" ] && hwm=$h
	cpu=$(cpu_s "$pid")
	kill -TERM "$pid"
	st=0
	wait "$pid" || st=$?
	pid=
	t_end=$(now_ms)
	rss_of[$n]=$hwm
	secs_of[$n]=$(awk -v a="$t0" -v b="$t_read" 'BEGIN { printf "%.1f", (b - a) / 1000 }')
	printf '  daemon: read %s records in %s s (%.0f records/s), stopped in %.1f s, exit %s\n' \
		"$read" "${secs_of[$n]}" \
		"$(awk -v r="$lines" -v a="$t0" -v b="$t_read" 'BEGIN { print r / ((b - a) / 1000) }')" \
		"$(awk -v a="$t_read" -v b="$t_end" 'BEGIN { print (b - a) / 1000 }')" "$st"
	printf '  daemon: CPU %s s user, %s s system while reading\n' $cpu
	printf '  daemon: peak RSS (VmHWM) %s kB = %.1f MiB\n' "$hwm" \
		"$(awk -v k="$hwm" 'BEGIN { print k / 1024 }')"
	grep -E 'stopping| read, ' "$d/daemon.log" | tail -2 | sed 's/^/  daemon log: /'
	check "daemon exit status" "$st" 0
	printf '  store: %s kB on disk (database, WAL and shared memory)\n' \
		"$(du -ck "$d"/db* | tail -1 | cut -f1)"
	if grep -qi 'error\|warn' "$d/daemon.log"; then
		echo "  daemon warnings/errors:"
		grep -i 'error\|warn' "$d/daemon.log" | head -5 | sed 's/^/    /'
	fi

	# What the store holds, through the CLI.
	"$aalearn" --json status >"$d/status.json"
	"$aalearn" --json profiles >"$d/profiles.json"
	"$aalearn" --json show quiet >"$d/quiet-show.json"
	"$aalearn" --json show flood >"$d/flood-show.json"
	local fobs fovf qobs qover want_ovf want_obs
	fobs=$(jget "$d/profiles.json" \
	    '[p["observations"] for p in j["profiles"] if p["name"] == "flood"]')
	fovf=$(jget "$d/profiles.json" \
	    '[p["overflow"] for p in j["profiles"] if p["name"] == "flood"]')
	qobs=$(jget "$d/profiles.json" \
	    '[p["observations"] for p in j["profiles"] if p["name"] == "quiet"]')
	qover=$(jget "$d/profiles.json" \
	    '[p["overflow"] for p in j["profiles"] if p["name"] == "quiet"]')
	want_obs=$((nflood < cap ? nflood : cap))
	want_ovf=$((nflood - want_obs))
	printf '  flood: %s observations stored, %s overflow counted; %s written\n' \
		"$fobs" "$fovf" "$nflood"
	check "flood observations stored = min(N, cap)" "$fobs" "[$want_obs]"
	check "flood overflow = N - stored ($nflood - $want_obs)" "$fovf" "[$want_ovf]"
	check "flood stored + overflow = N" \
	    "$(jget "$d/profiles.json" 'sum(p["observations"] + p["overflow"] for p in j["profiles"] if p["name"] == "flood")')" \
	    "$nflood"
	# Each stored flood name was written once: one event per observation,
	# all distinct, all allowed.
	check "flood stored events (one per name)" \
	    "$(jget "$d/flood-show.json" '(sum(a["allowed"] for a in j["accesses"]), sum(a["denied"] for a in j["accesses"]), len(set(a["fields"][0] for a in j["accesses"])))')" \
	    "($want_obs, 0, $want_obs)"
	check "status --json: flood overflow" \
	    "$(jget "$d/status.json" '[p["overflow"] for p in j["profiles"] if p["name"] == "flood"]')" \
	    "[$want_ovf]"
	check "status --json: records read = records written" \
	    "$(jget "$d/status.json" 'sum(s["read"] for s in j["sources"])')" "$lines"
	check "status --json: lost, skipped, malformed" \
	    "$(jget "$d/status.json" '[sum(s[k] for s in j["sources"]) for k in ("lost", "kernel_lost", "skipped", "malformed")]')" \
	    "[0, 0, 0, 0]"

	# The quiet profile next to the flood: whole, exact counts per path.
	printf '  quiet: %s observations, %s overflow; %s paths, %s records written\n' \
		"$qobs" "$qover" "$quiet_paths" "$nquiet"
	check "quiet observations" "$qobs" "[$quiet_paths]"
	check "quiet overflow" "$qover" "[0]"
	check "quiet events (allowed + denied)" \
	    "$(jget "$d/quiet-show.json" 'sum(a["allowed"] + a["denied"] for a in j["accesses"])')" \
	    "$nquiet"
	check "quiet count of every path = written" "$(python3 - "$d" <<'EOF'
import json, sys
d = sys.argv[1]
want = json.load(open(d + "/quiet.json"))
got = {}
for a in json.load(open(d + "/quiet-show.json"))["accesses"]:
    got[a["fields"][0]] = got.get(a["fields"][0], 0) + a["allowed"] + a["denied"]
bad = sorted(set(want) ^ set(got)) + [p for p in want if p in got and got[p] != want[p]]
print("all %d equal" % len(want) if not bad else "%d differ, e.g. %s" % (len(bad), bad[:3]))
EOF
)" "all $quiet_paths equal"

	# The text a person sees.
	"$aalearn" status >"$d/status.txt"
	echo "  aalearn status (text), the lines that matter:"
	grep -E 'SOURCE|file:|PROFILE|^  (flood|quiet) |dropped|warning' "$d/status.txt" |
		sed 's/^/  | /'
	if [ "$want_ovf" -gt 0 ]; then
		check "status text shows flood's overflow" \
		    "$(grep -E '^  flood ' "$d/status.txt" | grep -c "($want_ovf dropped at the cap)")" 1
	fi
	rm -f "$d/audit.log"
}

for n in $sizes; do
	run "$n"
done

set -- $sizes
if [ $# -ge 2 ]; then
	echo "== memory"
	for n in $sizes; do
		printf '  %8s names: peak RSS %s kB (%.1f MiB), read in %s s\n' "$n" \
			"${rss_of[$n]}" "$(awk -v k="${rss_of[$n]}" 'BEGIN { print k / 1024 }')" \
			"${secs_of[$n]}"
	done
	printf '  ratio %s names / %s names: names x%.1f, peak RSS x%.2f\n' "$1" "$2" \
		"$(awk -v a="$1" -v b="$2" 'BEGIN { print a / b }')" \
		"$(awk -v a="${rss_of[$1]}" -v b="${rss_of[$2]}" 'BEGIN { print a / b }')"
	# Flat: the big run within a quarter of the small one's peak (the cap
	# bounds what the daemon holds; the rest is SQLite's cache and noise).
	check "peak RSS flat (big <= 1.25 x small)" \
	    "$(awk -v a="${rss_of[$1]}" -v b="${rss_of[$2]}" 'BEGIN { print (a <= 1.25 * b) ? "yes" : "no" }')" yes
fi

echo "== $mismatches mismatch(es)"
[ "$mismatches" -eq 0 ] || exit 1
