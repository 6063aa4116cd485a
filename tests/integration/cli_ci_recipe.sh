#!/bin/bash
# The README's CI recipe, run as written: a job starts from the profile
# committed in the repository, imports the audit log of a test workload,
# accepts every proposal, applies, and checks.  `check --baseline` fails
# the job while the workload needs rules the committed profile lacks; once
# the exported profile is committed, the same job passes.
set -euo pipefail

BUILD=${AALEARN_BUILD_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/build}
AALEARN=${AALEARN_BIN:-$BUILD/cli/aalearn}
T=$(mktemp -d /tmp/aalearn-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 700 "$T"
fail() { echo "FAIL: $*" >&2; exit 1; }
unset AALEARN_PARSER
export AALEARN_SECURITYFS=$T/no-securityfs NO_COLOR=1

# The repository: a committed profile and the workload's audit log.
mkdir -p "$T/repo/apparmor"
AALEARN_DB=$T/seed.db AALEARN_PROFILE_DIR=$T/repo/apparmor "$AALEARN" init web --container --no-reload >/dev/null
[ -f "$T/repo/apparmor/web" ] || fail "no committed profile to start from"
t=$(( $(date +%s) - 3600 ))
{
	for f in /srv/app/in/job-1.txt /srv/app/in/job-2.txt /srv/app/in/job-3.txt /etc/app.conf; do
		t=$((t + 1))
		echo "type=AVC msg=audit($t.000:$t): apparmor=\"ALLOWED\" operation=\"open\" profile=\"web\" name=\"$f\" pid=42 comm=\"app\" requested_mask=\"r\" denied_mask=\"r\" fsuid=0 ouid=1000"
	done
	echo "type=AVC msg=audit($t.500:9999): apparmor=\"ALLOWED\" operation=\"capable\" profile=\"web\" pid=42 comm=\"app\" capability=10 capname=\"net_bind_service\""
} >"$T/repo/audit.log"

# job: the recipe's steps, in a fresh workspace each time.  Returns the
# exit status of the final check.
job() {
	local ws=$1 rc=0
	rm -rf "$ws"
	mkdir -p "$ws"
	chmod 700 "$ws"
	(
		set -e
		cd "$T/repo"
		export AALEARN_DB=$ws/aalearn.db AALEARN_PROFILE_DIR=$ws/apparmor.d
		mkdir -p "$AALEARN_PROFILE_DIR"
		cp -a /etc/apparmor.d/abi /etc/apparmor.d/abstractions /etc/apparmor.d/tunables "$AALEARN_PROFILE_DIR/"
		cp apparmor/web "$AALEARN_PROFILE_DIR/web"
		"$AALEARN" import audit.log
		"$AALEARN" review web --accept-all
		"$AALEARN" apply web --no-reload
		"$AALEARN" export web --format profile >"$ws/web.learned"
		"$AALEARN" diff web >"$ws/web.diff" || [ $? = 1 ]
		"$AALEARN" check web --baseline apparmor/web
	) >"$ws/log" 2>&1 || rc=$?
	return $rc
}

rc=0
job "$T/ws1" || rc=$?
[ "$rc" = 1 ] || { cat "$T/ws1/log"; fail "the first job should fail its check (exit 1), got $rc"; }
grep -qF "not allowed by apparmor/web" "$T/ws1/log" || { cat "$T/ws1/log"; fail "the check does not list what the committed profile lacks"; }
grep -qF "net_bind_service" "$T/ws1/log" || fail "the capability is not listed"
apparmor_parser -QK -I "$T/ws1/apparmor.d" "$T/ws1/web.learned" 2>/dev/null || fail "the learned profile does not parse"
grep -qF "capability net_bind_service," "$T/ws1/web.learned" || fail "the learned profile lacks the capability"
# After apply the learned profile covers everything: diff is empty.
[ ! -s "$T/ws1/web.diff" ] || { cat "$T/ws1/web.diff"; fail "diff after apply is not empty"; }

# The developer commits the learned profile; the job passes.
cp "$T/ws1/web.learned" "$T/repo/apparmor/web"
rc=0
job "$T/ws2" || rc=$?
[ "$rc" = 0 ] || { cat "$T/ws2/log"; fail "the job with the learned profile committed exited $rc"; }
grep -qF "are allowed by apparmor/web" "$T/ws2/log" || { cat "$T/ws2/log"; fail "no success line"; }
echo "cli_ci_recipe: ok"
