#!/bin/bash
# aalearn diff on a profile with many observations (issue 10: 100,000 in
# under 200 ms).  Imports a generated log whose records are all distinct
# accesses of one profile (file paths of several shapes, some owner-only,
# some denied, a few capabilities and network accesses), then times `aalearn
# diff` and prints the median of RUNS runs with peak RSS.  Asserts nothing.
# Usage: bench_diff.sh BUILD_DIR   (OBS=100000 RUNS=5 BENCH_DIR=/var/tmp/aalearn-bench)
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
obs=${OBS:-100000}
runs=${RUNS:-5}
work=${BENCH_DIR:-/var/tmp/aalearn-bench}/diff
aalearn=$build/cli/aalearn
mkdir -p "$work"
chmod 700 "$work"
rm -rf "$work/pd" "$work/db"*
mkdir "$work/pd"
for d in abi abstractions tunables; do
	[ -d "/etc/apparmor.d/$d" ] && cp -a "/etc/apparmor.d/$d" "$work/pd/"
done
export AALEARN_DB=$work/db AALEARN_PROFILE_DIR=$work/pd NO_COLOR=1
export AALEARN_SECURITYFS=$work/no-securityfs
unset AALEARN_PARSER

P=/usr/bin/benchsvc
cat >"$work/pd/usr.bin.benchsvc" <<'EOF'
include <tunables/global>

/usr/bin/benchsvc flags=(complain) {
  include <abstractions/base>

  /usr/bin/benchsvc mr,
  /etc/benchsvc/** r,
}
EOF

python3 - "$obs" "$P" >"$work/log" <<'EOF'
import sys
n, prof = int(sys.argv[1]), sys.argv[2]
t = 1700000000
masks = ["r", "w", "rw", "r", "wc", "r"]
out = sys.stdout
for i in range(n):
    k = i % 10
    if k < 3:
        name = "/srv/www/site%d/static/%d/img%d.png" % (i % 97, i % 13, i)
    elif k < 5:
        name = "/var/lib/benchsvc/cache/%02x/%08x.blob" % (i % 256, i * 2654435761 % 2**32)
    elif k < 6:
        name = "/home/user%d/.config/benchsvc/state%d.json" % (i % 50, i)
    elif k < 7:
        name = "/proc/%d/stat" % (1000 + i)
    elif k < 8:
        name = "/tmp/benchsvc-%d/sock%d" % (i % 31, i)
    elif k < 9:
        name = "/usr/share/benchsvc/data/dir%d/file%d.dat" % (i % 211, i)
    else:
        name = "/var/log/benchsvc/%d/app.%d.log" % (i % 7, i)
    verdict = "DENIED" if i % 17 == 0 else "ALLOWED"
    m = masks[i % len(masks)]
    out.write('type=AVC msg=audit(%d.%03d:%d): apparmor="%s" operation="open" '
              'class="file" profile="%s" name="%s" pid=%d comm="benchsvc" '
              'requested_mask="%s" denied_mask="%s" fsuid=1000 ouid=%d\n'
              % (t + i // 1000, i % 1000, i + 1, verdict, prof, name,
                 100 + i % 300, m, m, 1000 if i % 3 else 0))
EOF
"$aalearn" import --no-progress "$work/log" >/dev/null
held=$("$aalearn" --json profiles | python3 -c 'import json,sys
d = json.load(sys.stdin)
ps = d if isinstance(d, list) else d.get("profiles", [])
print(sum(p.get("observations", 0) for p in ps))' 2>/dev/null || echo "?")
echo "== aalearn diff, one profile with $held observations ($runs runs)"

secs=() rss=()
for i in $(seq "$runs"); do
	rc=0
	/usr/bin/time -f '%e %M' -o "$work/time.out" \
		"$aalearn" diff "$P" >"$work/diff.out" 2>"$work/diff.err" || rc=$?
	if [ "$rc" -gt 1 ]; then
		echo "aalearn diff failed ($rc):"; cat "$work/diff.err"; exit 1
	fi
	# time says "Command exited with non-zero status 1" first: 1 is "differs".
	read -r s k < <(tail -n 1 "$work/time.out")
	secs+=("$s") rss+=("$k")
done
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
s=$(printf '%s\n' "${secs[@]}" | median)
k=$(printf '%s\n' "${rss[@]}" | median)
echo "diff: median $(awk -v s="$s" 'BEGIN { printf "%.0f", s * 1000 }') ms" \
	"(runs: ${secs[*]} s), peak RSS $((k / 1024)) MiB," \
	"$(grep -c '^+[^+]' "$work/diff.out" || true) lines added"
