/*
 * fuzz_propose - hostile names through proposal and writing.
 *
 * Input: one flags byte, then segments separated by NUL bytes; each
 * segment is a selector byte and a name (any bytes).  A selector with the
 * high bit set also adds three numbered siblings, so that generalisation
 * is exercised.  Invariants, each an abort:
 *   - every observation ends in exactly one proposal;
 *   - every rule text is accepted into aalearn's block (one line, one
 *     statement), and the written profile reads back the same rules;
 *   - every rule, matched with the AARE matcher, allows all its evidence
 *     and none of the sensitive paths its evidence never touched (a glob
 *     "/tmp/x*" made of x1, x22, x333 also matches "/tmp/x": '*' may match
 *     nothing after a non-slash, as aa-logprof's globs do, so no sensitive
 *     path here is the stem of a sibling set);
 *   - the written profile allows every observation that got a rule;
 *   - apparmor_parser -QK accepts the written profile (when installed;
 *     $AALEARN_PARSER names another binary).
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "learner.h"

#define MAX_OBS		32
#define NAME_MAX_LEN	512

extern char **environ;

static const char *const sensitive[] = {
	"/etc/shadow", "/root/.ssh/id_rsa", "/proc/sys/kernel/core_pattern",
	"/var/run/docker.sock", "/run/secrets/token", "/etc/sudoers",
	"/home/user/.ssh/id_rsa", "/dev/mem", "/boot/vmlinuz",
	"/var/run/secrets/kubernetes.io/serviceaccount/token",
	"/tmp/.X11-unix/X0",
	"/etc/passwd",
};

static const char *parser;
static bool parser_checked;

static void
find_parser(void)
{
	const char *p = getenv("AALEARN_PARSER");

	parser_checked = true;
	if (p != NULL && access(p, X_OK) == 0)
		parser = p;
	else if (access("/sbin/apparmor_parser", X_OK) == 0)
		parser = "/sbin/apparmor_parser";
	else if (access("/usr/sbin/apparmor_parser", X_OK) == 0)
		parser = "/usr/sbin/apparmor_parser";
}

/* 0 accepted, 1 refused, -1 could not run. */
static int
parser_accepts(const char *text, size_t len)
{
	char tmpl[] = "/tmp/aalearn-fuzz-XXXXXX";
	char *argv[] = { (char *)(uintptr_t)parser, (char *)(uintptr_t)"-QK",
	    tmpl, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int fd, st, rc = -1;

	if ((fd = mkostemp(tmpl, O_CLOEXEC)) < 0)
		return -1;
	if (write(fd, text, len) != (ssize_t)len) {
		close(fd);
		unlink(tmpl);
		return -1;
	}
	close(fd);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&pid, parser, &fa, NULL, argv, environ) == 0 &&
	    waitpid(pid, &st, 0) == pid)
		rc = WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
	posix_spawn_file_actions_destroy(&fa);
	unlink(tmpl);
	return rc;
}

static struct policy *
vars_policy(bool vars)
{
	struct policy *pol = policy_new();

	if (pol == NULL)
		abort();
	if (vars && (policy_var_add(pol, "PROC", "/proc/") < 0 ||
	    policy_var_add(pol, "pid", "{[1-9],[1-9][0-9],[1-9][0-9][0-9],"
	    "[1-9][0-9][0-9][0-9],[1-9][0-9][0-9][0-9][0-9]}") < 0 ||
	    policy_var_add(pol, "tid", "@{pid}") < 0))
		abort();
	return pol;
}

static const uint64_t masks[] = {
	MASK_READ, MASK_WRITE, MASK_READ | MASK_WRITE, MASK_APPEND,
	MASK_READ | MASK_LOCK, MASK_MMAP | MASK_READ, MASK_CREATE,
	MASK_READ | MASK_EXEC,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Flags byte with the high bit: the rest is profile text (a user's file
 * may hold anything).  Parsing must not fail on memory; writing into each
 * block keeps every byte outside it; the result parses again and reads
 * back the rules; mode flags round-trip.
 */
static void
fuzz_profile_text(const uint8_t *data, size_t size)
{
	struct profile_file *pf;
	const char *rules[] = { "/srv/fuzz r,", "capability chown," };
	int rc;

	rc = profile_parse((const char *)data, size, &pf);
	if (rc == -ENOMEM)
		abort();
	if (rc != 0)
		return;
	for (size_t i = 0; i < pf->nblocks && i < 8; i++) {
		char name[1024];
		const struct profile_block *b = &pf->blocks[i];
		char *out = NULL, **back = NULL, *m = NULL, *m2 = NULL;
		size_t len, pre = 0, suf = 0, mlen, m2len;
		struct profile_file *again;
		struct policy *pol;

		/* the full name: parents joined by "//" */
		{
			int chain[64], nc = 0;

			for (int k = (int)i; k >= 0 && nc < 64;
			    k = pf->blocks[k].parent)
				chain[nc++] = k;
			name[0] = '\0';
			for (int k = nc - 1; k >= 0; k--) {
				if (strlen(name) + strlen(pf->blocks[chain[k]].name)
				    + 3 >= sizeof(name))
					goto next;
				if (k != nc - 1)
					strcat(name, "//");
				strcat(name, pf->blocks[chain[k]].name);
			}
		}
		if (profile_find(pf, name) != b)
			goto next;	/* two blocks of one name: the first wins */
		rc = profile_add_rules((const char *)data, size, name, rules, 2,
		    &out, &len);
		if (rc == -ENOMEM)
			abort();
		if (rc != 0)
			goto next;
		while (pre < size && out[pre] == (char)data[pre])
			pre++;
		while (suf < size - pre && out[len - 1 - suf] ==
		    (char)data[size - 1 - suf])
			suf++;
		/* insertion only, unless a block was there to rewrite */
		if (pre + suf != size && memmem(data, size, "aalearn:begin",
		    13) == NULL)
			abort();
		if (profile_parse(out, len, &again) != 0)
			abort();
		profile_file_free(again);
		if (profile_block_rules(out, len, name, &back) != 0)
			abort();
		if (back[0] == NULL || back[1] == NULL)
			abort();
		profile_strv_free(back);
		rc = policy_load(out, len, name, NULL, NULL, &pol);
		if (rc == 0)
			policy_free(pol);
		else if (rc == -ENOMEM)
			abort();
		if (profile_set_mode(out, len, name, PROFILE_MODE_COMPLAIN, &m,
		    &mlen) == 0) {
			if (profile_set_mode(m, mlen, name, PROFILE_MODE_ENFORCE,
			    &m2, &m2len) == 0) {
				if (profile_parse(m2, m2len, &again) == 0) {
					const struct profile_block *e =
					    profile_find(again, name);

					if (e != NULL && e->mode ==
					    PROFILE_MODE_COMPLAIN)
						abort();
					profile_file_free(again);
				}
				free(m2);
			}
			free(m);
		}
		free(out);
next:
		;
	}
	profile_file_free(pf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char names[MAX_OBS][NAME_MAX_LEN + 8];
	struct observation obs[MAX_OBS];
	struct propose_options opt = { 0 };
	struct proposal *p = NULL;
	struct policy *pol;
	size_t nobs = 0, n = 0, pos = 1, total = 0;
	bool vars;

	if (!parser_checked)
		find_parser();
	if (size < 2)
		return 0;
	if (data[0] & 0x80) {
		fuzz_profile_text(data + 1, size - 1);
		return 0;
	}
	vars = data[0] & 1;
	opt.glob_threshold = 2 + ((data[0] >> 1) & 3);
	opt.container = data[0] & 8;

	while (pos < size && nobs < MAX_OBS) {
		size_t end = pos;
		uint8_t sel = data[pos];
		size_t len, copies;

		while (end < size && data[end] != 0)
			end++;
		len = end - pos - 1 < NAME_MAX_LEN ? end - pos - 1 : NAME_MAX_LEN;
		if (end == pos) {
			pos = end + 1;
			continue;
		}
		copies = (sel & 0x80) ? 3 : 1;
		for (size_t c = 0; c < copies && nobs < MAX_OBS; c++) {
			static const char *const suffix[] = { "1", "22", "333" };
			char *nm = names[nobs];
			size_t k = 0;
			struct observation *o = &obs[nobs];

			if (len == 0 || data[pos + 1] != '/')
				nm[k++] = '/';
			memcpy(nm + k, data + pos + 1, len);
			k += len;
			if (copies > 1) {
				strcpy(nm + k, suffix[c]);
				k += strlen(suffix[c]);
			}
			nm[k] = '\0';
			memset(o, 0, sizeof(*o));
			o->profile = "fz";
			o->label = "fz";
			o->access.cls = (sel & 0x40) ? ACCESS_EXEC : ACCESS_FILE;
			for (int i = 0; i < ACCESS_NFIELDS; i++)
				o->access.f[i] = "";
			o->access.f[0] = nm;
			o->access.mask = masks[sel & 7];
			if (o->access.cls == ACCESS_EXEC)
				o->access.mask = MASK_EXEC;
			else
				o->access.mask &= ~MASK_EXEC;
			if (sel & 0x20)
				o->access.mask |= MASK_NOT_OWNER;
			o->allowed = 1;
			nobs++;
		}
		pos = end + 1;
	}
	if (nobs == 0)
		return 0;

	pol = vars_policy(vars);
	if (propose_rules(pol, obs, nobs, &opt, &p, &n) != 0)
		abort();
	{
		static const char base[] = "profile fz {\n}\n";
		const char *rules[MAX_OBS];
		size_t nr = 0, len = 0;
		char *text = NULL, **back = NULL;
		struct policy *written;

		for (size_t i = 0; i < n; i++) {
			struct policy *one;

			if (p[i].nevidence == 0)
				abort();
			total += p[i].nevidence;
			if (p[i].kind == PROPOSAL_NONE) {
				if (p[i].reason == NULL || p[i].text != NULL)
					abort();
				continue;
			}
			if (p[i].kind != PROPOSAL_RULE || nr == MAX_OBS)
				abort();
			rules[nr++] = p[i].text;
			one = vars_policy(vars);
			if (policy_add_rule(one, p[i].text, NULL, NULL) != 0)
				abort();
			for (size_t k = 0; k < p[i].nevidence; k++)
				if (!policy_allows(one, &obs[p[i].evidence[k]].access)) {
					fprintf(stderr, "rule %s does not allow "
					    "%s\n", p[i].text,
					    obs[p[i].evidence[k]].access.f[0]);
					abort();
				}
			for (size_t s = 0; s < sizeof(sensitive) /
			    sizeof(sensitive[0]); s++) {
				struct access a = obs[p[i].evidence[0]].access;
				bool seen = false;

				a.f[0] = sensitive[s];
				for (size_t k = 0; k < p[i].nevidence; k++)
					seen |= strcmp(obs[p[i].evidence[k]].access.f[0],
					    sensitive[s]) == 0;
				if (!seen && policy_allows(one, &a)) {
					fprintf(stderr, "rule %s allows %s\n",
					    p[i].text, sensitive[s]);
					abort();
				}
			}
			policy_free(one);
		}
		if (total != nobs)
			abort();
		if (profile_add_rules(base, strlen(base), "fz", rules, nr, &text,
		    &len) != 0) {
			for (size_t i = 0; i < nr; i++)
				fprintf(stderr, "rule: %s\n", rules[i]);
			abort();
		}
		if (profile_block_rules(text, len, "fz", &back) != 0)
			abort();
		for (size_t i = 0; i < nr; i++) {
			bool found = false;

			for (size_t k = 0; back[k] != NULL && !found; k++)
				found = strcmp(back[k], rules[i]) == 0;
			if (!found)
				abort();
		}
		profile_strv_free(back);
		if (policy_load(text, len, "fz", NULL, NULL, &written) != 0)
			abort();
		if (vars) {
			policy_var_add(written, "PROC", "/proc/");
			policy_var_add(written, "pid", "{[1-9],[1-9][0-9],"
			    "[1-9][0-9][0-9],[1-9][0-9][0-9][0-9],"
			    "[1-9][0-9][0-9][0-9][0-9]}");
			policy_var_add(written, "tid", "@{pid}");
		}
		for (size_t i = 0; i < n; i++)
			if (p[i].kind == PROPOSAL_RULE)
				for (size_t k = 0; k < p[i].nevidence; k++)
					if (!policy_allows(written,
					    &obs[p[i].evidence[k]].access))
						abort();
		policy_free(written);
		if (nr > 0 && parser != NULL) {
			/* the parser needs the variables defined */
			char *full = NULL;
			size_t flen;
			static const char pre[] = "@{PROC}=/proc/\n"
			    "@{pid}={[1-9],[1-9][0-9],[1-9][0-9][0-9]}\n"
			    "@{tid}=@{pid}\n";

			if ((full = malloc(sizeof(pre) + len)) == NULL)
				abort();
			memcpy(full, pre, sizeof(pre) - 1);
			memcpy(full + sizeof(pre) - 1, text, len);
			flen = sizeof(pre) - 1 + len;
			if (parser_accepts(full, flen) == 1) {
				fwrite(full, 1, flen, stderr);
				abort();
			}
			free(full);
		}
		free(text);
	}
	propose_free(p, n);
	policy_free(pol);
	return 0;
}
