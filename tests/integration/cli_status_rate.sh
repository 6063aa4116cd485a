#!/bin/bash
# `aalearn status` shows the records/s of a source a running daemon is
# reading: records are injected through the kernel's audit netlink path at a
# steady pace while aalearnd (netlink source) runs; the rate status reports
# must be near the injected one, and a stopped daemon's source shows none.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "needs root (audit netlink)"; exit 1; }
T=$(mktemp -d)
dpid=
cleanup() {
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
chmod 700 "$T"
cat >"$T/conf" <<EOC
sources = netlink
flush_interval = 250ms
EOC
"$AALEARND_BIN" -f -c "$T/conf" -d "$T/db" 2>"$T/daemon.log" &
dpid=$!
for i in $(seq 100); do [ -e "$T/db" ] && break; sleep 0.1; done

# About 200 records/s for 6 s, through libaudit's user-message call.
python3 - "$$" >"$T/inject.log" 2>&1 <<'PY' &
import ctypes, sys, time
lib = ctypes.CDLL("libaudit.so.1")
fd = lib.audit_open()
assert fd >= 0, "audit_open"
msg = ('apparmor="ALLOWED" operation="dbus_method_call" bus="system" '
       'path="/org/aalearn/Rate" interface="org.aalearn.Rate" member="M%d" '
       'mask="send" name="org.aalearn.rate" pid=%s label="aalearn-rate-test" '
       'peer_pid=1 peer_label="unconfined"')
end = time.monotonic() + 6
i = 0
while time.monotonic() < end:
    for _ in range(20):
        rc = lib.audit_log_user_message(fd, 1107, (msg % (i % 4, sys.argv[1])).encode(),
                                        None, None, None, 1)
        assert rc > 0, "audit_log_user_message"
        i += 1
    time.sleep(0.1)
print(i)
PY
ipid=$!
sleep 3
"$AALEARN_BIN" --db "$T/db" --json status >"$T/status.json"
"$AALEARN_BIN" --db "$T/db" status >"$T/status.txt"
wait "$ipid"
python3 - "$T/status.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
src = [s for s in d["sources"] if s["source"] == "netlink"]
assert src, d["sources"]
rate = src[0]["records_per_s"]
assert rate is not None, "no rate for a live source"
# The injector sends ~200/s (less when the machine is busy); allow a wide band.
assert 40 <= rate <= 400, "records_per_s %r is not near the injected ~200/s" % rate
print("live rate:", rate)
PY
grep -q 'RECORDS/S' "$T/status.txt"
kill "$dpid"; wait "$dpid" || true; dpid=
sleep 6
"$AALEARN_BIN" --db "$T/db" --json status >"$T/status2.json"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = [s for s in d["sources"] if s["source"] == "netlink"][0]
assert s["records_per_s"] is None, s
assert s["read"] > 0, s
' "$T/status2.json"
echo "cli_status_rate: ok"
