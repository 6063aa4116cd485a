/*
 * test_profile - profile text in and out: parsing, the policy matcher over
 * rules/includes/variables, aalearn's block, mode flags, the container
 * template.  Expected answers come from apparmor.d(5), not from the code.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "learner.h"
#include "host_profiles.h"

/* ---- helpers */

struct memfile {
	const char *name, *text;
};

/* A loader over an in-memory table. */
static int
mem_loader(const char *name, bool angle, char **ret_text, size_t *ret_len,
    void *arg)
{
	const struct memfile *m = arg;

	(void)angle;
	for (; m->name != NULL; m++) {
		if (strcmp(m->name, name) == 0) {
			*ret_text = strdup(m->text);
			*ret_len = strlen(m->text);
			return *ret_text ? 0 : -ENOMEM;
		}
	}
	return -ENOENT;
}


static struct access
acc(enum access_class cls, const char *f0, const char *f1, uint64_t mask)
{
	struct access a;

	memset(&a, 0, sizeof(a));
	a.cls = cls;
	for (int i = 0; i < ACCESS_NFIELDS; i++)
		a.f[i] = "";
	a.f[0] = f0 ? f0 : "";
	a.f[1] = f1 ? f1 : "";
	a.mask = mask;
	return a;
}

/* apparmor_parser -QK on a text: 0 accepted, 1 refused, -1 unavailable. */
static int
parser_accepts(const char *text)
{
	const char *parser = getenv("AALEARN_PARSER");
	char tmpl[] = "/tmp/aalearn-test-XXXXXX";
	char cmd[8192];
	int fd, st;

	if (parser == NULL)
		parser = access("/sbin/apparmor_parser", X_OK) == 0 ?
		    "/sbin/apparmor_parser" : "/usr/sbin/apparmor_parser";
	if (access(parser, X_OK) != 0)
		return -1;
	if ((fd = mkstemp(tmpl)) < 0)
		return -1;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		unlink(tmpl);
		return -1;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd), "%s -QK %s >/dev/null 2>&1", parser, tmpl);
	st = system(cmd);
	unlink(tmpl);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

static const char sample[] =
	"# a comment { with a brace\n"
	"include <tunables/global>\n"
	"@{APPDIR} = /srv/app /opt/app\n"
	"@{APPDIR} += /usr/lib/app\n"
	"\n"
	"profile shop /usr/bin/shop flags=(attach_disconnected, complain) {\n"
	"  #include <abstractions/base>\n"
	"  # include <abstractions/commented-out>\n"
	"  include if exists <local/shop>\n"
	"  /usr/{lib,lib64}/shop/** mr,\n"
	"  \"/srv/my data/\" r,\n"
	"  owner @{APPDIR}/cache/* rwk, # trailing comment\n"
	"  deny /etc/shadow r,\n"
	"  capability net_bind_service setuid,\n"
	"  network inet stream,\n"
	"  signal (receive) set=(term, kill) peer=unconfined,\n"
	"  dbus send bus=system path=/org/x\n"
	"       interface=org.x.I member=Go peer=(label=unconfined),\n"
	"  /usr/bin/helper cx,\n"
	"  profile /usr/bin/helper {\n"
	"    /etc/helper.conf r,\n"
	"  }\n"
	"  ^hat {\n"
	"    /var/hat r,\n"
	"  }\n"
	"}\n"
	"/usr/bin/other {\n"
	"  /etc/other r,\n"
	"}\n";

/* ---- parsing */

static void
parse_structure(void **state)
{
	struct profile_file *pf = NULL;
	const struct profile_block *b, *c, *h, *o;

	(void)state;
	assert_int_equal(profile_parse(sample, strlen(sample), &pf), 0);
	assert_int_equal(pf->nblocks, 4);
	assert_int_equal(pf->nincludes, 1);
	assert_string_equal(pf->includes[0].name, "tunables/global");
	assert_true(pf->includes[0].angle);
	assert_int_equal(pf->nvars, 1);
	assert_string_equal(pf->vars[0].name, "APPDIR");
	assert_int_equal(pf->vars[0].nvalues, 3);
	assert_string_equal(pf->vars[0].values[2], "/usr/lib/app");

	b = profile_find(pf, "shop");
	assert_non_null(b);
	assert_string_equal(b->attach, "/usr/bin/shop");
	assert_int_equal(b->mode, PROFILE_MODE_COMPLAIN);
	assert_int_equal(b->nincludes, 2);
	assert_string_equal(b->includes[0].name, "abstractions/base");
	assert_false(b->includes[0].if_exists);
	assert_true(b->includes[1].if_exists);
	assert_string_equal(profile_local_include(pf, "shop"), "local/shop");
	assert_null(profile_local_include(pf, "/usr/bin/other"));
	/* 9 rules of its own; the child's and the hat's are theirs */
	assert_int_equal(b->nrules, 9);
	assert_int_equal(b->rules[0].cls, ACCESS_FILE);
	assert_string_equal(b->rules[0].f[0], "/usr/{lib,lib64}/shop/**");
	assert_string_equal(b->rules[1].f[0], "/srv/my data/");
	assert_true(b->rules[2].owner);
	assert_true(b->rules[3].deny);
	assert_int_equal(b->rules[4].cls, ACCESS_CAPABILITY);
	assert_int_equal(b->rules[5].cls, ACCESS_NETWORK);
	assert_int_equal(b->rules[6].cls, ACCESS_SIGNAL);
	assert_int_equal(b->rules[7].cls, ACCESS_DBUS);
	assert_string_equal(b->rules[7].f[3], "Go");
	assert_string_equal(b->rules[7].f[4], "unconfined");
	assert_string_equal(b->rules[8].exec_mode, "cx");
	/* the rule spanning two lines starts on its first */
	assert_int_equal(b->rules[7].line, 17);

	/* "p//child": the child here is named by its path */
	c = profile_find(pf, "shop///usr/bin/helper");
	assert_non_null(c);
	assert_int_equal(c->nrules, 1);
	h = profile_find(pf, "shop//hat");
	assert_non_null(h);
	assert_true(h->hat);
	assert_string_equal(h->rules[0].f[0], "/var/hat");
	o = profile_find(pf, "/usr/bin/other");
	assert_non_null(o);
	assert_int_equal(o->mode, PROFILE_MODE_ENFORCE);
	assert_int_equal(o->parent, -1);
	/* offsets: the body runs from after '{' to the closing brace */
	assert_int_equal(sample[b->body_end], '}');
	assert_int_equal(sample[b->body_start - 1], '{');
	assert_memory_equal(sample + b->header_start, "profile shop", 12);
	profile_file_free(pf);
}

static void
parse_errors(void **state)
{
	struct profile_file *pf = (struct profile_file *)0x1;
	static const char *const bad[] = {
		"profile a {\n /x r,\n",
		"/x r,\n}\n",
		"profile a {\n /x r,\n}}\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(profile_parse(bad[i], strlen(bad[i]), &pf),
		    -EINVAL);
		assert_ptr_equal(pf, (struct profile_file *)0x1);
	}
	/* an embedded NUL is not profile text */
	assert_int_equal(profile_parse("a\0b", 3, &pf), -EINVAL);
}

/* '=' in a path is a byte of the name, not a key's. */
static void
parse_equals_in_paths(void **state)
{
	static const char t[] = "@{PROC}=/proc/\nprofile p {\n  /tmp/a= r,\n"
	    "  @{PROC}/x= w,\n  signal (send) set = (term) peer = q,\n}\n";
	const struct profile_block *b;
	struct profile_file *pf;

	(void)state;
	assert_int_equal(profile_parse(t, strlen(t), &pf), 0);
	b = profile_find(pf, "p");
	assert_non_null(b);
	assert_int_equal(b->nrules, 3);
	assert_string_equal(b->rules[0].f[0], "/tmp/a=");
	assert_int_equal(b->rules[0].mask, MASK_READ);
	assert_string_equal(b->rules[1].f[0], "@{PROC}/x=");
	assert_string_equal(b->rules[2].f[0], "term");
	assert_string_equal(b->rules[2].f[1], "q");
	profile_file_free(pf);
	assert_int_equal(parser_accepts(t) == 1, 0);
}

/* Abstractions and local files: bare rules at the top level. */
static void
parse_top_level_rules(void **state)
{
	static const char t[] = "  /etc/passwd r,\n"
	    "  include <abstractions/nis>\n"
	    "  network inet dgram,\n";
	struct profile_file *pf;

	(void)state;
	assert_int_equal(profile_parse(t, strlen(t), &pf), 0);
	assert_int_equal(pf->nblocks, 0);
	assert_int_equal(pf->nrules, 2);
	assert_int_equal(pf->nincludes, 1);
	profile_file_free(pf);
}

/* ---- policy */

static struct memfile files[] = {
	{ "tunables/global", "include <tunables/proc>\n@{HOME}=/home/*/ /root/\n" },
	{ "tunables/proc", "@{PROC}=/proc/\n@{pid}={[1-9],[1-9][0-9],[1-9][0-9][0-9]}\n" },
	{ "abstractions/base", "  /etc/ld.so.cache r,\n  @{PROC}/@{pid}/maps r,\n" },
	{ "local/shop", "  /srv/local/** r,\n" },
	{ NULL, NULL },
};

static void
policy_files(void **state)
{
	struct policy *pol = NULL;
	struct access a;

	(void)state;
	assert_int_equal(policy_load(sample, strlen(sample), "shop",
	    mem_loader, files, &pol), 0);
	/* own rule with alternation and ** */
	a = acc(ACCESS_FILE, "/usr/lib64/shop/x/y.so", NULL, MASK_MMAP | MASK_READ);
	assert_true(policy_allows(pol, &a));
	a.mask |= MASK_WRITE;
	assert_false(policy_allows(pol, &a));
	assert_int_equal(policy_allowed(pol, &a), MASK_MMAP | MASK_READ);
	/* quoted name with a space */
	a = acc(ACCESS_FILE, "/srv/my data/", NULL, MASK_READ);
	assert_true(policy_allows(pol, &a));
	/* a variable of the file, extended by += */
	a = acc(ACCESS_FILE, "/usr/lib/app/cache/x", NULL, MASK_WRITE | MASK_LOCK);
	assert_true(policy_allows(pol, &a));
	/* owner rule: not for a file owned by someone else */
	a.mask |= MASK_NOT_OWNER;
	assert_false(policy_allows(pol, &a));
	/* w implies create and delete; append too */
	a = acc(ACCESS_FILE, "/srv/app/cache/y", NULL, MASK_CREATE | MASK_DELETE |
	    MASK_APPEND);
	assert_true(policy_allows(pol, &a));
	/* * does not cross / */
	a = acc(ACCESS_FILE, "/srv/app/cache/y/z", NULL, MASK_READ);
	assert_false(policy_allows(pol, &a));
	/* abstraction through include, and its variables from tunables */
	a = acc(ACCESS_FILE, "/proc/42/maps", NULL, MASK_READ);
	assert_true(policy_allows(pol, &a));
	a = acc(ACCESS_FILE, "/proc/4242/maps", NULL, MASK_READ);
	assert_false(policy_allows(pol, &a));	/* @{pid} here is 1..999 */
	a = acc(ACCESS_FILE, "/proc/self/maps", NULL, MASK_READ);
	assert_false(policy_allows(pol, &a));
	/* local include */
	a = acc(ACCESS_FILE, "/srv/local/a/b", NULL, MASK_READ);
	assert_true(policy_allows(pol, &a));
	/* deny wins, and is reported */
	a = acc(ACCESS_FILE, "/etc/shadow", NULL, MASK_READ);
	assert_false(policy_allows(pol, &a));
	assert_true(policy_denies(pol, &a));
	a = acc(ACCESS_FILE, "/etc/passwd", NULL, MASK_READ);
	assert_false(policy_allows(pol, &a));
	assert_false(policy_denies(pol, &a));
	/* the child's and hat's rules are not the parent's */
	a = acc(ACCESS_FILE, "/etc/helper.conf", NULL, MASK_READ);
	assert_false(policy_allows(pol, &a));
	a = acc(ACCESS_EXEC, "/usr/bin/helper", "", MASK_EXEC);
	assert_true(policy_allows(pol, &a));
	assert_true(policy_has_child(pol, "/usr/bin/helper"));
	assert_true(policy_has_child(pol, "/usr/bin/other"));
	assert_false(policy_has_child(pol, "/usr/bin/none"));
	/* host variables added later */
	a = acc(ACCESS_FILE, "/home/bob/x", NULL, MASK_READ);
	assert_false(policy_allows(pol, &a));
	assert_int_equal(policy_add_rule(pol, "@{HOME}/x r,", NULL, NULL), 0);
	assert_true(policy_allows(pol, &a));
	a = acc(ACCESS_FILE, "/home/bob/sub/x", NULL, MASK_READ);
	assert_false(policy_allows(pol, &a));
	/* a value's trailing '/' glued to what follows the variable */
	assert_int_equal(policy_add_rule(pol, "@{HOMEDIRS}=/home/\n"
	    "@{HOMEDIRS}.ecryptfs/ r,", NULL, NULL), 0);
	a = acc(ACCESS_FILE, "/home/.ecryptfs/", NULL, MASK_READ);
	assert_true(policy_allows(pol, &a));
	a = acc(ACCESS_FILE, "/home.ecryptfs/", NULL, MASK_READ);
	assert_false(policy_allows(pol, &a));
	policy_free(pol);

	/* the child profile by its full name */
	assert_int_equal(policy_load(sample, strlen(sample),
	    "shop///usr/bin/helper", mem_loader, files, &pol), 0);
	a = acc(ACCESS_FILE, "/etc/helper.conf", NULL, MASK_READ);
	assert_true(policy_allows(pol, &a));
	policy_free(pol);
	assert_int_equal(policy_load(sample, strlen(sample), "nope",
	    mem_loader, files, &pol), -ENOENT);
	/* a required include that is missing */
	assert_int_equal(policy_load(sample, strlen(sample), "shop",
	    mem_loader, (files + 3), &pol), -ENOENT);
}

static void
policy_other_classes(void **state)
{
	struct policy *pol = NULL;
	struct access a;

	(void)state;
	assert_int_equal(policy_load(sample, strlen(sample), "shop",
	    mem_loader, files, &pol), 0);
	a = acc(ACCESS_CAPABILITY, "setuid", NULL, 0);
	assert_true(policy_allows(pol, &a));
	a = acc(ACCESS_CAPABILITY, "sys_admin", NULL, 0);
	assert_false(policy_allows(pol, &a));
	a = acc(ACCESS_NETWORK, "inet", "stream", MASK_CONNECT);
	a.f[2] = "6";
	assert_true(policy_allows(pol, &a));
	a.f[0] = "inet6";
	assert_false(policy_allows(pol, &a));
	a = acc(ACCESS_SIGNAL, "term", "unconfined", MASK_RECEIVE);
	assert_true(policy_allows(pol, &a));
	a.mask = MASK_SEND;
	assert_false(policy_allows(pol, &a));
	a = acc(ACCESS_SIGNAL, "hup", "unconfined", MASK_RECEIVE);
	assert_false(policy_allows(pol, &a));
	a = acc(ACCESS_SIGNAL, "term", "other", MASK_RECEIVE);
	assert_false(policy_allows(pol, &a));
	a = acc(ACCESS_DBUS, "system", "/org/x", MASK_SEND);
	a.f[2] = "org.x.I";
	a.f[3] = "Go";
	a.f[4] = "unconfined";
	assert_true(policy_allows(pol, &a));
	a.f[3] = "Stop";
	assert_false(policy_allows(pol, &a));
	policy_free(pol);

	/* the remaining classes, one rule each */
	{
		static const char t[] =
		    "profile p {\n"
		    "  unix (connect, send) type=stream peer=(addr=@sock),\n"
		    "  ptrace (read) peer=other,\n"
		    "  mount fstype=tmpfs -> /mnt/**,\n"
		    "  umount /mnt/a/,\n"
		    "  pivot_root oldroot=/old/ /new/,\n"
		    "  change_profile -> q,\n"
		    "  userns create,\n"
		    "  io_uring sqpoll,\n"
		    "  mqueue (read, write) type=posix /q1,\n"
		    "  /bin/x ix,\n"
		    "  link /a -> /b,\n"
		    "}\n";

		assert_int_equal(policy_load(t, strlen(t), "p", NULL, NULL,
		    &pol), 0);
		a = acc(ACCESS_UNIX, "stream", "", MASK_CONNECT);
		a.f[2] = "@sock";
		assert_true(policy_allows(pol, &a));
		a.f[2] = "@other";
		assert_false(policy_allows(pol, &a));
		a = acc(ACCESS_PTRACE, "other", NULL, MASK_READ);
		assert_true(policy_allows(pol, &a));
		a.mask = MASK_TRACE;
		assert_false(policy_allows(pol, &a));
		a = acc(ACCESS_MOUNT, "mount", "tmpfs", 0);
		a.f[2] = "tmpfs";
		a.f[3] = "/mnt/x/";
		assert_true(policy_allows(pol, &a));
		a.f[1] = "ext4";
		assert_false(policy_allows(pol, &a));
		a = acc(ACCESS_MOUNT, "umount", "", 0);
		a.f[3] = "/mnt/a/";
		assert_true(policy_allows(pol, &a));
		a.f[3] = "/mnt/b/";
		assert_false(policy_allows(pol, &a));
		a = acc(ACCESS_MOUNT, "pivot_root", "", 0);
		a.f[2] = "/old/";
		a.f[3] = "/new/";
		assert_true(policy_allows(pol, &a));
		a = acc(ACCESS_CHANGE_PROFILE, "q", NULL, 0);
		assert_true(policy_allows(pol, &a));
		a = acc(ACCESS_CHANGE_PROFILE, "r", NULL, 0);
		assert_false(policy_allows(pol, &a));
		a = acc(ACCESS_USERNS, "create", NULL, MASK_CREATE);
		assert_true(policy_allows(pol, &a));
		a = acc(ACCESS_IO_URING, "sqpoll", NULL, MASK_SQPOLL);
		assert_true(policy_allows(pol, &a));
		a.mask = MASK_OVERRIDE_CREDS;
		assert_false(policy_allows(pol, &a));
		a = acc(ACCESS_MQUEUE, "/q1", "posix", MASK_READ);
		assert_true(policy_allows(pol, &a));
		a.f[0] = "/q2";
		assert_false(policy_allows(pol, &a));
		a = acc(ACCESS_EXEC, "/bin/x", "", MASK_EXEC);
		assert_true(policy_allows(pol, &a));
		a = acc(ACCESS_FILE, "/a", "/b", MASK_LINK);
		assert_true(policy_allows(pol, &a));
		a = acc(ACCESS_FILE, "/a", "/c", MASK_LINK);
		assert_false(policy_allows(pol, &a));
		policy_free(pol);
	}
}

/* The host's real abstractions (Debian 12's apparmor package). */
static void
policy_host_abstractions(void **state)
{
	static const char t[] = "include <tunables/global>\n"
	    "profile p {\n  include <abstractions/nameservice>\n}\n";
	struct policy *pol;
	struct access a;

	(void)state;
	if (access("/etc/apparmor.d/abstractions/nameservice", R_OK) != 0)
		skip();
	assert_int_equal(policy_load(t, strlen(t), "p", host_loader, NULL,
	    &pol), 0);
	a = acc(ACCESS_FILE, "/etc/passwd", NULL, MASK_READ);
	assert_true(policy_allows(pol, &a));
	a = acc(ACCESS_FILE, "/etc/nsswitch.conf", NULL, MASK_READ);
	assert_true(policy_allows(pol, &a));
	a = acc(ACCESS_FILE, "/etc/shadow", NULL, MASK_READ);
	assert_false(policy_allows(pol, &a));
	a = acc(ACCESS_FILE, "/etc/passwd", NULL, MASK_WRITE);
	assert_false(policy_allows(pol, &a));
	assert_non_null(policy_var(pol, "PROC", NULL));
	policy_free(pol);
}

/* Every file the host's apparmor package ships parses, and every
 * abstraction loads as an include with its nested includes. */
static void
host_files_parse(void **state)
{
	static const char *const dirs[] = { "abstractions", "tunables" };
	size_t nfiles = 0, nrules = 0;

	(void)state;
	if (access("/etc/apparmor.d/abstractions/base", R_OK) != 0)
		skip();
	for (size_t d = 0; d < 2; d++) {
		struct dirent **ents;
		char dir[256];
		int n;

		snprintf(dir, sizeof(dir), "/etc/apparmor.d/%s", dirs[d]);
		n = scandir(dir, &ents, NULL, alphasort);
		assert_true(n > 0);
		for (int i = 0; i < n; i++) {
			char name[512], inc[600], *text;
			struct profile_file *pf;
			struct policy *pol;
			size_t len;

			snprintf(name, sizeof(name), "%s/%s", dirs[d],
			    ents[i]->d_name);
			if (ents[i]->d_name[0] == '.' ||
			    host_loader(name, true, &text, &len, NULL) != 0) {
				free(ents[i]);
				continue;
			}
			if (profile_parse(text, len, &pf) != 0)
				fail_msg("%s does not parse", name);
			for (size_t k = 0; k < pf->nblocks; k++)
				nrules += pf->blocks[k].nrules;
			nrules += pf->nrules;
			profile_file_free(pf);
			free(text);
			pol = policy_new();
			assert_non_null(pol);
			assert_int_equal(policy_add_rule(pol,
			    "include <tunables/global>", host_loader, NULL), 0);
			snprintf(inc, sizeof(inc), "include <%s>", name);
			if (policy_add_rule(pol, inc, host_loader, NULL) != 0)
				fail_msg("%s does not load", name);
			policy_free(pol);
			nfiles++;
			free(ents[i]);
		}
		free(ents);
	}
	/* Debian 12 ships well over a hundred of them */
	assert_true(nfiles > 100);
	assert_true(nrules > 1000);
}

/* ---- aalearn's block */

static void
block_insert_and_keep_outside(void **state)
{
	const char *rules[] = { "/srv/a r,", "capability chown," };
	const struct profile_block *b;
	struct profile_file *pf;
	char *out = NULL, *out2 = NULL, **got = NULL;
	size_t len, len2, end;

	(void)state;
	assert_int_equal(profile_add_rules(sample, strlen(sample), "shop",
	    rules, 2, &out, &len), 0);
	assert_int_equal(strlen(out), len);
	/* Everything before and after the inserted lines is unchanged. */
	assert_int_equal(profile_parse(sample, strlen(sample), &pf), 0);
	b = profile_find(pf, "shop");
	end = b->body_end;
	while (end > 0 && sample[end - 1] != '\n')
		end--;
	assert_memory_equal(out, sample, end);
	assert_string_equal(out + len - (strlen(sample) - end), sample + end);
	assert_non_null(strstr(out, "  " PROFILE_BLOCK_BEGIN "\n"
	    "  /srv/a r,\n  capability chown,\n  " PROFILE_BLOCK_END "\n}\n"
	    "/usr/bin/other {"));
	profile_file_free(pf);

	/* the new text parses, the block's rules are read back */
	assert_int_equal(profile_block_rules(out, len, "shop", &got), 0);
	assert_string_equal(got[0], "/srv/a r,");
	assert_string_equal(got[1], "capability chown,");
	assert_null(got[2]);
	profile_strv_free(got);

	/* adding the same again changes nothing; a new one is appended */
	assert_int_equal(profile_add_rules(out, len, "shop", rules, 2, &out2,
	    &len2), 0);
	assert_string_equal(out, out2);
	free(out2);
	{
		const char *more[] = { "/srv/b w," };

		assert_int_equal(profile_add_rules(out, len, "shop", more, 1,
		    &out2, &len2), 0);
		assert_int_equal(profile_block_rules(out2, len2, "shop", &got),
		    0);
		assert_string_equal(got[2], "/srv/b w,");
		profile_strv_free(got);
		free(out2);
		/* set: exactly these */
		assert_int_equal(profile_set_rules(out, len, "shop", more, 1,
		    &out2, &len2), 0);
		assert_int_equal(profile_block_rules(out2, len2, "shop", &got),
		    0);
		assert_string_equal(got[0], "/srv/b w,");
		assert_null(got[1]);
		profile_strv_free(got);
		free(out2);
		/* set to nothing keeps empty markers; outside unchanged */
		assert_int_equal(profile_set_rules(out, len, "shop", NULL, 0,
		    &out2, &len2), 0);
		assert_int_equal(profile_block_rules(out2, len2, "shop", &got),
		    0);
		assert_null(got[0]);
		profile_strv_free(got);
		free(out2);
	}
	/* the child gets its own block, the parent's stays */
	{
		const char *c[] = { "/etc/c r," };
		struct policy *pol;
		struct access a = acc(ACCESS_FILE, "/etc/c", NULL, MASK_READ);

		assert_int_equal(profile_add_rules(out, len,
		    "shop///usr/bin/helper", c, 1, &out2, &len2), 0);
		assert_int_equal(policy_load(out2, len2,
		    "shop///usr/bin/helper", NULL, NULL, &pol), -ENOENT);
		/* (the parent includes need a loader) */
		assert_int_equal(policy_load(out2, len2,
		    "shop///usr/bin/helper", mem_loader, files, &pol), 0);
		assert_true(policy_allows(pol, &a));
		policy_free(pol);
		assert_int_equal(policy_load(out2, len2, "shop", mem_loader,
		    files, &pol), 0);
		assert_false(policy_allows(pol, &a));
		a.f[0] = "/srv/a";
		assert_true(policy_allows(pol, &a));
		policy_free(pol);
		free(out2);
	}
	free(out);
	assert_int_equal(profile_add_rules(sample, strlen(sample), "nope",
	    rules, 1, &out, &len), -ENOENT);
}

/* Odd layouts: one line, an empty body, tabs; insertion only. */
static void
block_layouts(void **state)
{
	static const char *const texts[] = {
		"profile p { /a r, }\n",
		"profile p {}\n",
		"profile p {\n\t/a r,\n}\n",
		"profile p flags=(complain) {\n  /a r,\n  ^hat {\n  }\n}\n",
	};
	const char *rules[] = { "/b w,", "capability chown," };

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		const char *t = texts[i];
		size_t tl = strlen(t), len, pre = 0, suf = 0;
		char *out, **got;

		assert_int_equal(profile_add_rules(t, tl, "p", rules, 2, &out,
		    &len), 0);
		/* the original is a prefix + suffix of the new text */
		while (pre < tl && out[pre] == t[pre])
			pre++;
		while (suf < tl - pre && out[len - 1 - suf] == t[tl - 1 - suf])
			suf++;
		assert_int_equal(pre + suf, tl);
		assert_int_equal(profile_block_rules(out, len, "p", &got), 0);
		assert_string_equal(got[0], "/b w,");
		assert_string_equal(got[1], "capability chown,");
		assert_null(got[2]);
		profile_strv_free(got);
		assert_int_equal(parser_accepts(out) == 1, 0);
		free(out);
	}
}

/* Markers around things that are not rules of this block are not ours to
 * rewrite: a new block is added, the old text kept. */
static void
block_foreign_markers(void **state)
{
	static const char t[] = "profile p {\n"
	    "  " PROFILE_BLOCK_BEGIN "\n"
	    "  /a r,\n"
	    "  profile c {\n"
	    "    /c r,\n"
	    "  " PROFILE_BLOCK_END "\n"
	    "  }\n"
	    "  dbus send\n"
	    "       bus=system,\n"
	    "}\n";
	static const char u[] = "profile p {\n"
	    "  " PROFILE_BLOCK_BEGIN "\n"
	    "  dbus send\n"
	    "       bus=system,\n"
	    "  " PROFILE_BLOCK_END "\n"
	    "}\n";
	const char *rules[] = { "/b r," };
	const char *texts[] = { t, u };

	(void)state;
	for (int i = 0; i < 2; i++) {
		char *out, **got;
		size_t len;
		struct profile_file *pf;

		assert_int_equal(profile_add_rules(texts[i], strlen(texts[i]),
		    "p", rules, 1, &out, &len), 0);
		assert_memory_equal(out, texts[i], strlen(texts[i]) - 2);
		assert_int_equal(profile_parse(out, len, &pf), 0);
		profile_file_free(pf);
		assert_int_equal(profile_block_rules(out, len, "p", &got), 0);
		assert_string_equal(got[0], "/b r,");
		assert_null(got[1]);
		profile_strv_free(got);
		free(out);
	}
}

static void
block_local_file(void **state)
{
	const char *rules[] = { "/srv/x r," };
	static const char local[] = "# Site-specific additions\n  /opt/y r,";
	char *out, **got;
	size_t len;

	(void)state;
	assert_int_equal(profile_add_rules("", 0, NULL, rules, 1, &out, &len), 0);
	assert_string_equal(out, PROFILE_BLOCK_BEGIN "\n/srv/x r,\n"
	    PROFILE_BLOCK_END "\n");
	free(out);
	assert_int_equal(profile_add_rules(local, strlen(local), NULL, rules,
	    1, &out, &len), 0);
	assert_memory_equal(out, local, strlen(local));
	assert_int_equal(out[strlen(local)], '\n');
	assert_int_equal(profile_block_rules(out, len, NULL, &got), 0);
	assert_string_equal(got[0], "/srv/x r,");
	assert_null(got[1]);
	profile_strv_free(got);
	free(out);
}

static void
block_refuses_hostile_rules(void **state)
{
	static const char *const bad[] = {
		"/x r,\n/etc/shadow r,",	/* a second line */
		"/x r, /etc/shadow r,",		/* a second statement */
		"/x r",				/* no comma */
		"/x r, # c",			/* a comment after it */
		"}",
		"/x r,}",
		"",
		" /x r,",
		"@{x}=/",
		"include <a> /etc/shadow r,",
		"\"/x r,",			/* unterminated quote */
	};
	char *out = (char *)0x1;
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *r[] = { bad[i] };

		assert_int_equal(profile_add_rules(sample, strlen(sample),
		    "shop", r, 1, &out, &len), -EINVAL);
		assert_ptr_equal(out, (char *)0x1);
	}
	{
		const char *ok[] = { "\"/tmp/a b, c\" r,",
		    "include <abstractions/nameservice>",
		    "@{PROC}/@{pid}/status r," };

		assert_int_equal(profile_add_rules(sample, strlen(sample),
		    "shop", ok, 3, &out, &len), 0);
		free(out);
	}
}

/*
 * A begin marker whose end line was deleted by hand: the rules after it are
 * the user's, outside any block.  Writing adds a block of its own and every
 * later write keeps those rules (they were once read back as aalearn's and
 * dropped by the next write).
 */
static void
block_stray_begin(void **state)
{
	static const char *const texts[] = {
		"profile p {\n"
		"  # aalearn:begin\n"
		"  /home/user/notes r,\n"
		"}\n",
		/* the whole begin line of an old block, its end line gone */
		"profile p {\n"
		"  " PROFILE_BLOCK_BEGIN "\n"
		"  /home/user/notes r,\n"
		"}\n",
	};
	const char *rules[] = { "/srv/x r,", "/srv/y w," };

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		const char *t = texts[i];
		size_t tl = strlen(t), len, len2, len3;
		char *out, *out2, *out3, **got;

		assert_int_equal(profile_set_rules(t, tl, "p", rules, 1, &out,
		    &len), 0);
		/* everything before the closing brace kept */
		assert_memory_equal(out, t, tl - 2);
		assert_int_equal(profile_block_rules(out, len, "p", &got), 0);
		assert_non_null(got[0]);
		assert_string_equal(got[0], "/srv/x r,");
		assert_null(got[1]);
		profile_strv_free(got);
		/* the same rules again: the same text */
		assert_int_equal(profile_set_rules(out, len, "p", rules, 1,
		    &out2, &len2), 0);
		assert_int_equal(len2, len);
		assert_memory_equal(out2, out, len);
		/* other rules: the hand-written line is still there */
		assert_int_equal(profile_set_rules(out2, len2, "p", rules + 1, 1,
		    &out3, &len3), 0);
		assert_memory_equal(out3, t, tl - 2);
		assert_non_null(strstr(out3 + tl - 2, "/srv/y w,"));
		assert_null(strstr(out3, "/srv/x r,"));
		free(out);
		free(out2);
		free(out3);
	}
}

/*
 * Marker lines that are not comments but text inside a statement (here a
 * quoted path that spans lines) are not a block: rewriting them changed a
 * hand-written rule, or cut its closing quote so that the text no longer
 * parsed.  A new block goes before the brace instead.
 */
static void
block_markers_inside_statement(void **state)
{
	static const char *const texts[] = {
		"profile p {\n"
		"  /srv/\"a\n"
		"  " PROFILE_BLOCK_BEGIN "\n"
		"  /x r,\n"
		"  " PROFILE_BLOCK_END "\n"
		"  b\" r,\n"
		"}\n",
		"profile p {\n"
		"  /srv/\"a\n"
		"  " PROFILE_BLOCK_BEGIN " b\" r,\n"
		"  /x r,\n"
		"  " PROFILE_BLOCK_END "\n"
		"}\n",
	};
	const char *rules[] = { "/y r," };

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		const char *t = texts[i];
		size_t tl = strlen(t), len, len2;
		char *out, *out2, **got;
		struct profile_file *pf;

		assert_int_equal(profile_set_rules(t, tl, "p", rules, 1, &out,
		    &len), 0);
		assert_memory_equal(out, t, tl - 2);
		assert_int_equal(profile_parse(out, len, &pf), 0);
		profile_file_free(pf);
		assert_int_equal(profile_block_rules(out, len, "p", &got), 0);
		assert_non_null(got[0]);
		assert_string_equal(got[0], "/y r,");
		assert_null(got[1]);
		profile_strv_free(got);
		assert_int_equal(profile_set_rules(out, len, "p", rules, 1,
		    &out2, &len2), 0);
		assert_int_equal(len2, len);
		assert_memory_equal(out2, out, len);
		free(out);
		free(out2);
	}
}

/*
 * A statement the text leaves open where the block would go (a last rule
 * without its ',', also behind an unbalanced '{'): the block's rules would
 * parse as part of it.  apparmor_parser refuses such a text; so does the
 * writer, with -EBADMSG, and leaves *ret_text alone.
 */
static void
block_open_statement(void **state)
{
	static const struct {
		const char *text, *name;
	} cases[] = {
		{ "profile p {\n  /a r\n}\n", "p" },
		{ "profile p {\n  /a r }\n", "p" },
		{ "profile p {\n  /a{b r,\n}\n}\n", "p" },
		{ "profile p {\n  ^hat {\n    /h r,\n  }\n  /a r\n}\n", "p" },
		{ "/a r", NULL },
		{ "/a r\n# trailing comment\n", NULL },
	};
	const char *rules[] = { "/b r," };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *t = cases[i].text;
		char *out = (char *)0x1;
		size_t len = 7;

		assert_int_equal(profile_set_rules(t, strlen(t), cases[i].name,
		    rules, 1, &out, &len), -EBADMSG);
		assert_int_equal(profile_add_rules(t, strlen(t), cases[i].name,
		    rules, 1, &out, &len), -EBADMSG);
		assert_ptr_equal(out, (char *)0x1);
		assert_int_equal(len, 7);
		/* nothing to write: nothing changes, not even a newline */
		assert_int_equal(profile_set_rules(t, strlen(t), cases[i].name,
		    rules, 0, &out, &len), 0);
		assert_int_equal(len, strlen(t));
		assert_memory_equal(out, t, len);
		free(out);
	}
	/* closed by a ',' on a line of its own, or in a child: writable */
	{
		static const char ok[] = "profile p {\n  /a r\n  ,\n}\n";
		static const char child[] = "profile p {\n  ^h {\n    /a r,\n"
		    "  }\n}\n";
		char *out, **got;
		size_t len;

		assert_int_equal(profile_set_rules(ok, strlen(ok), "p", rules,
		    1, &out, &len), 0);
		assert_int_equal(profile_block_rules(out, len, "p", &got), 0);
		assert_string_equal(got[0], "/b r,");
		profile_strv_free(got);
		free(out);
		assert_int_equal(profile_set_rules(child, strlen(child), "p",
		    rules, 1, &out, &len), 0);
		free(out);
	}
}

/* A deeply indented closing brace: writing the same rules twice gives the
 * same text (the block was re-indented by the second write). */
static void
block_deep_indent(void **state)
{
	const size_t widths[] = { 0, 59, 60, 61, 62, 63, 64, 200 };
	const char *rules[] = { "/a r,", "/b w," };

	(void)state;
	for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
		char t[512], *out, *out2, **got;
		size_t tl, len, len2;
		int k;

		k = snprintf(t, sizeof(t), "profile p {\n /a r,\n%*s}\n",
		    (int)widths[i], "");
		tl = (size_t)k;
		assert_int_equal(profile_set_rules(t, tl, "p", rules, 2, &out,
		    &len), 0);
		assert_int_equal(profile_set_rules(out, len, "p", rules, 2,
		    &out2, &len2), 0);
		assert_int_equal(len2, len);
		assert_memory_equal(out2, out, len);
		assert_int_equal(profile_block_rules(out2, len2, "p", &got), 0);
		assert_string_equal(got[0], "/a r,");
		assert_string_equal(got[1], "/b w,");
		assert_null(got[2]);
		profile_strv_free(got);
		free(out);
		free(out2);
	}
}

/* ---- mode */

static void
mode_flags(void **state)
{
	static const char plain[] = "profile p /usr/bin/p {\n  /x r,\n}\n";
	static const char other[] = "profile p flags=(attach_disconnected,complain) {\n}\n";
	struct profile_file *pf;
	char *out, *out2;
	size_t len, len2;

	(void)state;
	assert_int_equal(profile_set_mode(plain, strlen(plain), "p",
	    PROFILE_MODE_COMPLAIN, &out, &len), 0);
	assert_string_equal(out,
	    "profile p /usr/bin/p flags=(complain) {\n  /x r,\n}\n");
	assert_int_equal(profile_set_mode(out, len, "p", PROFILE_MODE_ENFORCE,
	    &out2, &len2), 0);
	assert_string_equal(out2, "profile p /usr/bin/p {\n  /x r,\n}\n");
	free(out);
	free(out2);
	assert_int_equal(profile_set_mode(other, strlen(other), "p",
	    PROFILE_MODE_ENFORCE, &out, &len), 0);
	assert_string_equal(out, "profile p flags=(attach_disconnected) {\n}\n");
	assert_int_equal(profile_parse(out, len, &pf), 0);
	assert_int_equal(profile_find(pf, "p")->mode, PROFILE_MODE_ENFORCE);
	profile_file_free(pf);
	free(out);
	assert_int_equal(profile_set_mode(other, strlen(other), "p",
	    PROFILE_MODE_COMPLAIN, &out, &len), 0);
	assert_string_equal(out, other);
	free(out);
	/* the child's flags, not the parent's */
	assert_int_equal(profile_set_mode(sample, strlen(sample),
	    "shop///usr/bin/helper", PROFILE_MODE_COMPLAIN, &out, &len), 0);
	assert_non_null(strstr(out, "profile /usr/bin/helper flags=(complain) {"));
	assert_non_null(strstr(out, "flags=(attach_disconnected, complain) {"));
	free(out);
	assert_int_equal(profile_set_mode(sample, strlen(sample), "shop",
	    PROFILE_MODE_ENFORCE, &out, &len), 0);
	assert_non_null(strstr(out, "flags=(attach_disconnected) {"));
	assert_int_equal(parser_accepts(out) == 1, 0);
	free(out);
}

/*
 * Two flags clauses in one header (apparmor_parser refuses it; the parser
 * here reads the last one): editing the first left the profile in the mode
 * it was.  The writer refuses such a header, and whatever it writes reads
 * back in the mode asked for.
 */
static void
mode_two_flags_clauses(void **state)
{
	static const char *const texts[] = {
		"profile p flags=(complain) /x flags=(complain) {\n}\n",
		("profile p flags=(complain) /x "
		    "flags=(attach_disconnected, complain) {\n}\n"),
		("aalearn:begin/usr/bin/shop flags=(attach_disconnected, "
		    "complain)bin/shop flags=(attach_disconnected, complain) "
		    "{\n  /a r,\n}\n"),
	};
	static const enum profile_mode modes[] = { PROFILE_MODE_ENFORCE,
	    PROFILE_MODE_COMPLAIN, PROFILE_MODE_KILL };

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		const char *t = texts[i], *name;
		struct profile_file *pf;
		char *out = (char *)0x1;
		size_t len;

		assert_int_equal(profile_parse(t, strlen(t), &pf), 0);
		name = pf->blocks[0].name;
		for (size_t m = 0; m < 3; m++) {
			assert_int_equal(profile_set_mode(t, strlen(t), name,
			    modes[m], &out, &len), -EINVAL);
			assert_ptr_equal(out, (char *)0x1);
		}
		profile_file_free(pf);
	}
}

/* ---- template */

static void
container_template(void **state)
{
	static const char *const runtimes[] = { "docker", "containerd",
	    "cri-o", "podman" };
	struct profile_file *pf;
	const struct profile_block *b;
	char *out;
	size_t len;

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(profile_container_template("web-1",
		    runtimes[i], &out, &len), 0);
		assert_int_equal(profile_parse(out, len, &pf), 0);
		b = profile_find(pf, "web-1");
		assert_non_null(b);
		assert_int_equal(b->mode, PROFILE_MODE_COMPLAIN);
		assert_string_equal(b->includes[0].name, "abstractions/base");
		for (size_t k = 0; k < b->nrules; k++) {
			const struct profile_rule *r = &b->rules[k];

			/* no blanket allow of a whole class */
			if (!r->deny) {
				assert_false(r->cls == ACCESS_FILE && r->f[0] == NULL);
				assert_false(r->cls == ACCESS_NETWORK && r->f[0] == NULL);
				assert_false(r->cls == ACCESS_CAPABILITY && r->f[0] == NULL);
			}
		}
		profile_file_free(pf);
		if (access("/etc/apparmor.d/tunables/global", R_OK) == 0)
			assert_int_equal(parser_accepts(out) == 1, 0);
		free(out);
	}
	/* what the template denies, through the policy */
	{
		struct policy *pol;
		struct access a;

		assert_int_equal(profile_container_template("c", NULL, &out,
		    &len), 0);
		if (access("/etc/apparmor.d/tunables/global", R_OK) == 0) {
			assert_int_equal(policy_load(out, len, "c", host_loader,
			    NULL, &pol), 0);
			a = acc(ACCESS_FILE, "/proc/sysrq-trigger", NULL, MASK_WRITE);
			assert_true(policy_denies(pol, &a));
			a = acc(ACCESS_FILE, "/proc/sys/kernel/core_pattern", NULL,
			    MASK_WRITE);
			assert_true(policy_denies(pol, &a));
			a = acc(ACCESS_FILE, "/proc/12/attr/current", NULL, MASK_WRITE);
			assert_false(policy_denies(pol, &a));
			a = acc(ACCESS_FILE, "/sys/kernel/mm/x", NULL, MASK_WRITE);
			assert_true(policy_denies(pol, &a));
			a = acc(ACCESS_FILE, "/sys/fs/cgroup/x", NULL, MASK_WRITE);
			assert_false(policy_denies(pol, &a));
			a = acc(ACCESS_FILE, "/sys/kernel/security/x", NULL, MASK_READ);
			assert_true(policy_denies(pol, &a));
			a = acc(ACCESS_MOUNT, "mount", "tmpfs", 0);
			assert_true(policy_denies(pol, &a));
			a = acc(ACCESS_MOUNT, "remount", "", 0);
			a.f[4] = "remount, rw";
			assert_true(policy_denies(pol, &a));
			a = acc(ACCESS_SIGNAL, "term", "runc", MASK_RECEIVE);
			assert_true(policy_allows(pol, &a));
			a = acc(ACCESS_SIGNAL, "term", "runc", MASK_SEND);
			assert_false(policy_allows(pol, &a));
			a = acc(ACCESS_FILE, "/etc/hostname", NULL, MASK_WRITE);
			assert_false(policy_allows(pol, &a));
			policy_free(pol);
		}
		free(out);
	}
	assert_int_equal(profile_container_template("a b", NULL, &out, &len),
	    -EINVAL);
	assert_int_equal(profile_container_template("x{", NULL, &out, &len),
	    -EINVAL);
	assert_int_equal(profile_container_template("ok", "lxc", &out, &len),
	    -EINVAL);
}

/*
 * policy_file_candidates() against policy_allows(): a name it says no rule
 * can meet is allowed nothing, as file or exec, and neither is any name
 * that shares the bytes it says decide that; a name that is allowed
 * something always had candidates.
 */
static void
policy_candidates_agree(void **state)
{
	static const char *const names[] = {
		"/usr/lib64/shop/x/y.so", "/usr/lib/shop/a", "/usr/libz",
		"/usr/share/doc/x", "/srv/my data/", "/srv/my data/x",
		"/srv/app/cache/y", "/srv/app/cache/y/z", "/srv/other",
		"/proc/42/maps", "/proc/4242/maps", "/proc/self/maps",
		"/srv/local/a/b", "/etc/shadow", "/etc/passwd", "/tmp/x",
		"/", "", "relative/name", "/home/u/.config/x", "/srvx",
		"/var/lib/x", "/dev/null", "/u", "/usr", "/usr/",
	};
	static const char *const tails[] = { "", "x", "/", "/x.so", "zz/y",
	    " ", "\n" };
	static const uint64_t masks[] = { MASK_READ, MASK_WRITE,
	    MASK_READ | MASK_MMAP, MASK_EXEC | MASK_EXEC_INHERIT, 0 };
	struct policy *pol = NULL;
	char buf[512];

	(void)state;
	assert_int_equal(policy_load(sample, strlen(sample), "shop",
	    mem_loader, files, &pol), 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t len = 0, len2 = 0;
		bool cand = policy_file_candidates(pol, names[i], &len);

		assert_true(len >= 1 && len <= strlen(names[i]) + 1);
		for (size_t t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
			/* the deciding bytes, then anything */
			size_t keep = len <= strlen(names[i]) ? len :
			    strlen(names[i]);

			if (len > strlen(names[i]) && tails[t][0] != '\0')
				continue;	/* the NUL decided */
			snprintf(buf, sizeof(buf), "%.*s%s", (int)keep,
			    names[i], tails[t]);
			assert_int_equal(policy_file_candidates(pol, buf,
			    &len2), cand);
			for (size_t m = 0; m < sizeof(masks) / sizeof(masks[0]);
			    m++) {
				struct access f = acc(ACCESS_FILE, buf, NULL,
				    masks[m]);
				struct access x = acc(ACCESS_EXEC, buf, NULL,
				    masks[m]);

				if (!cand) {
					assert_false(policy_allows(pol, &f));
					assert_false(policy_allows(pol, &x));
					assert_int_equal(policy_allowed(pol, &f),
					    0);
				}
			}
		}
		for (size_t m = 0; m < sizeof(masks) / sizeof(masks[0]); m++) {
			struct access f = acc(ACCESS_FILE, names[i], NULL,
			    masks[m]);

			if (policy_allows(pol, &f))
				assert_true(cand);
		}
	}
	/* some names do have candidates, some do not */
	{
		size_t len;

		assert_true(policy_file_candidates(pol,
		    "/usr/lib64/shop/x/y.so", &len));
		assert_false(policy_file_candidates(pol, "relative/name",
		    &len));
	}
	policy_free(pol);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_structure),
		cmocka_unit_test(parse_errors),
		cmocka_unit_test(parse_top_level_rules),
		cmocka_unit_test(parse_equals_in_paths),
		cmocka_unit_test(policy_files),
		cmocka_unit_test(policy_candidates_agree),
		cmocka_unit_test(policy_other_classes),
		cmocka_unit_test(policy_host_abstractions),
		cmocka_unit_test(host_files_parse),
		cmocka_unit_test(block_insert_and_keep_outside),
		cmocka_unit_test(block_layouts),
		cmocka_unit_test(block_foreign_markers),
		cmocka_unit_test(block_local_file),
		cmocka_unit_test(block_refuses_hostile_rules),
		cmocka_unit_test(block_stray_begin),
		cmocka_unit_test(block_markers_inside_statement),
		cmocka_unit_test(block_open_statement),
		cmocka_unit_test(block_deep_indent),
		cmocka_unit_test(mode_flags),
		cmocka_unit_test(mode_two_flags_clauses),
		cmocka_unit_test(container_template),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
