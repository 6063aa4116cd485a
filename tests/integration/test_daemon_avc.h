/*
 * test_daemon_avc.h - AppArmor-shaped USER_AVC records sent through the
 * kernel's audit socket (libaudit), as the tests that feed a real aalearnd
 * by netlink need them.  Include after <libaudit.h> and cmocka.
 */
#ifndef TEST_DAEMON_AVC_H
#define TEST_DAEMON_AVC_H

#include <stdio.h>
#include <unistd.h>

/*
 * count D-Bus "send" records for profile, numbered from first: the member
 * is M<number>, or M<number % members> when members > 0 (so that records
 * repeat accesses).  tag names the test in the path, interface and name.
 */
static void
td_send_dbus_avc(const char *tag, const char *profile, int count, int first,
    int members)
{
	char msg[512];
	int fd = audit_open(), i, m;

	assert_true(fd >= 0);
	for (i = 0; i < count; i++) {
		m = members > 0 ? (first + i) % members : first + i;
		snprintf(msg, sizeof(msg),
		    "apparmor=\"DENIED\" operation=\"dbus_method_call\" "
		    "bus=\"system\" path=\"/org/aalearn/%s\" "
		    "interface=\"org.aalearn.%s\" member=\"M%d\" "
		    "mask=\"send\" name=\"org.aalearn.%s\" pid=%d "
		    "label=\"%s\" peer_pid=1 peer_label=\"unconfined\"",
		    tag, tag, m, tag, (int)getpid(), profile);
		assert_true(audit_log_user_message(fd, AUDIT_USER_AVC, msg,
		    NULL, NULL, NULL, 1) > 0);
	}
	audit_close(fd);
}

#endif
