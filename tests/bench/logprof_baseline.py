#!/usr/bin/python3
"""The baseline for aalearn's import benchmark: the log-reading stage of
aa-logprof (Debian's python3-apparmor, apparmor.logparser.ReadLog.read_log)
over the same file, with the five profiles genlog.py uses present.

usage: logprof_baseline.py LOGFILE
Prints one line: "logprof_read_log records=N seconds=S rate=R/s".
"""
import sys
import time

from apparmor.logparser import ReadLog
from apparmor.profile_list import ProfileList

PROFILES = ["docker-nginx", "docker-redis", "cri-containerd.apparmor.d",
            "web-api", "containers-default-0.50.1"]


def main():
    path = sys.argv[1]
    active = ProfileList()
    for name in PROFILES:
        # As if each profile had its own file in /etc/apparmor.d.
        active.add_profile("/etc/apparmor.d/" + name, name, None)
    records = 0
    with open(path, "rb") as f:
        for line in f:
            if b'apparmor="' in line:
                records += 1
    log = ReadLog(path, active, "/etc/apparmor.d")
    start = time.monotonic()
    log.read_log("")
    secs = time.monotonic() - start
    print("logprof_read_log records=%d seconds=%.3f rate=%.0f/s"
          % (records, secs, records / secs))


if __name__ == "__main__":
    main()
