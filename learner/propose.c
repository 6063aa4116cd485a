/*
 * propose.c - from observations to the smallest safe set of rules.
 *
 * Order of work, each step taking the observations the previous ones left:
 *   1. drop what the policy already allows; explain what a deny refuses;
 *   2. includes of narrow abstractions that cover two or more observations
 *      and match none of the probe paths the evidence never touched;
 *   3. per-process paths through the host's variables (@{PROC}/@{pid});
 *   4. siblings that vary by a random or numeric part, once enough distinct
 *      ones were seen, into the narrowest glob;
 *   5. the rest as exact rules (rule_format escapes hostile names), or no
 *      rule with the reason.
 * Every pattern produced here is compiled and checked against its evidence
 * and against the probe paths before it is proposed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learner.h"

#define DEFAULT_THRESHOLD	3
#define DEFAULT_MAX		10000
#define BEYOND_MAX		24	/* lines of "beyond" listed */

/*
 * Paths a generalisation must never reach unless the evidence itself
 * touched them: secrets, the container runtime's socket, the kernel's
 * knobs.  Abstractions are measured against the same list.
 */
static const char *const probes[] = {
	"/etc/shadow",
	"/etc/gshadow",
	"/etc/sudoers",
	"/etc/ssl/private/server.key",
	"/root/.ssh/id_rsa",
	"/root/.bash_history",
	"/home/user/.ssh/id_rsa",
	"/home/user/.bashrc",
	"/proc/sys/kernel/core_pattern",
	"/proc/sysrq-trigger",
	"/proc/kcore",
	"/sys/kernel/security/apparmor/policy/.load",
	"/sys/firmware/efi/efivars/x",
	"/dev/mem",
	"/dev/sda",
	"/boot/vmlinuz",
	"/var/run/docker.sock",
	"/run/docker.sock",
	"/run/containerd/containerd.sock",
	"/run/secrets/kubernetes.io/serviceaccount/token",
	"/var/run/secrets/kubernetes.io/serviceaccount/token",
	"/var/lib/docker/volumes/x",
	"/var/lib/kubelet/pods/x",
	"/srv/other/data",
	"/tmp/unrelated",
	"/var/tmp/unrelated",
	"/var/lib/unrelated/db",
	"/opt/unrelated/bin/tool",
	"/usr/local/bin/unrelated",
	"/etc/unrelated.conf",
	NULL
};

/* Directories never generalised into (siblings there stay exact). */
struct lit {
	const char *s;
	size_t	 n;
};
#define LIT(x)	{ x, sizeof(x) - 1 }

static const struct lit exact_dirs[] = {
	LIT("/"), LIT("/etc"), LIT("/home"), LIT("/root"), LIT("/proc"),
	LIT("/sys"), LIT("/dev"), LIT("/boot"), LIT("/run/secrets"),
	LIT("/var/run/secrets"), LIT("/run"), LIT("/var/run"), { NULL, 0 }
};
/* Trees never generalised into at any depth. */
static const struct lit exact_trees[] = {
	LIT("/root/"), LIT("/proc/"), LIT("/sys/"), LIT("/dev/"),
	LIT("/boot/"), LIT("/run/secrets/"), LIT("/var/run/secrets/"),
	LIT("/etc/ssl/private/"), { NULL, 0 }
};

/* Abstractions considered when the caller names none: narrow ones. */
static const char *const default_abstractions[] = {
	"abstractions/nameservice",
	"abstractions/ssl_certs",
	"abstractions/openssl",
	"abstractions/crypto",
	"abstractions/consoles",
	"abstractions/python",
	"abstractions/perl",
	"abstractions/php",
	"abstractions/ruby",
	"abstractions/bash",
	"abstractions/fonts",
	"abstractions/mysql",
	"abstractions/nis",
	"abstractions/p11-kit",
	NULL
};

/* ------------------------------------------------------------ helpers */

static char *
xstrdup(const char *s)
{
	return strdup(s);
}

static uint64_t
fnv1a(const char *s, uint64_t h)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

void
proposal_id(const char *text, char id[17])
{
	uint64_t h = fnv1a(text != NULL ? text : "", 0xcbf29ce484222325ULL);

	snprintf(id, 17, "%016llx", (unsigned long long)h);
}

struct plist {
	struct proposal *v;
	size_t	 n, cap, max;
	int	 err;
};

static struct proposal *
plist_new(struct plist *pl, enum proposal_kind kind, enum access_class cls)
{
	struct proposal *p;

	if (pl->err)
		return NULL;
	if (pl->n >= pl->max) {
		pl->err = -E2BIG;
		return NULL;
	}
	if (pl->n == pl->cap) {
		size_t cap = pl->cap ? pl->cap * 2 : 16;
		struct proposal *v = realloc(pl->v, cap * sizeof(*v));

		if (v == NULL) {
			pl->err = -ENOMEM;
			return NULL;
		}
		pl->v = v;
		pl->cap = cap;
	}
	p = &pl->v[pl->n++];
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->cls = cls;
	p->first_ms = INT64_MAX;
	p->last_ms = INT64_MIN;
	return p;
}

static void
proposal_clear(struct proposal *p)
{
	free(p->text);
	free(p->reason);
	free(p->beyond);
	free(p->evidence);
	for (size_t i = 0; i < p->npaths; i++)
		free(p->paths[i]);
	free(p->paths);
}

void
propose_free(struct proposal *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		proposal_clear(&v[i]);
	free(v);
}

static void
set_str(struct plist *pl, char **dst, const char *s)
{
	if (pl->err || s == NULL)
		return;
	free(*dst);
	if ((*dst = xstrdup(s)) == NULL)
		pl->err = -ENOMEM;
}

/* Record observation i as evidence of p (and its path, for file/exec). */
/* Room for element n: arrays start with 4 and double when full. */
static int
grow_to(void **v, size_t n, size_t size)
{
	void *p;

	if (n < 4 || (n & (n - 1)) != 0)
		return 0;	/* not full yet */
	if ((p = realloc(*v, 2 * n * size)) == NULL)
		return -ENOMEM;
	*v = p;
	return 0;
}

/*
 * Record observation i as evidence of p (and its path, for file/exec).
 * Paths are kept unique by the final pass (paths_unique); here only a
 * repeat of the last one is skipped.
 */
static void
absorb(struct plist *pl, struct proposal *p, const struct observation *obs,
    size_t i, bool path)
{
	const struct observation *o = &obs[i];

	if (pl->err)
		return;
	if (p->evidence == NULL &&
	    (p->evidence = malloc(4 * sizeof(*p->evidence))) == NULL) {
		pl->err = -ENOMEM;
		return;
	}
	if (grow_to((void **)&p->evidence, p->nevidence,
	    sizeof(*p->evidence)) < 0) {
		pl->err = -ENOMEM;
		return;
	}
	p->evidence[p->nevidence++] = i;
	p->allowed += o->allowed;
	p->denied += o->denied;
	if (o->first_ms < p->first_ms)
		p->first_ms = o->first_ms;
	if (o->last_ms > p->last_ms)
		p->last_ms = o->last_ms;
	if (!path || (p->npaths > 0 &&
	    strcmp(p->paths[p->npaths - 1], o->access.f[0]) == 0))
		return;
	if (p->paths == NULL &&
	    (p->paths = malloc(4 * sizeof(*p->paths))) == NULL) {
		pl->err = -ENOMEM;
		return;
	}
	if (grow_to((void **)&p->paths, p->npaths, sizeof(*p->paths)) < 0) {
		pl->err = -ENOMEM;
		return;
	}
	if ((p->paths[p->npaths] = xstrdup(o->access.f[0])) == NULL) {
		pl->err = -ENOMEM;
		return;
	}
	p->npaths++;
}

static bool
starts_with(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/*
 * A literal path fragment we are willing to put next to a glob: letters,
 * digits and "/._-+:=~%".  A bitmap, as every observed path is scanned.
 */
#define PC_BIT(c)	(1ULL << ((c) & 63))
#define PC_RANGE(a, b)	((~0ULL >> (63 - ((b) - (a)))) << ((a) & 63))

static const uint64_t plain_bits[4] = {
	PC_BIT('%') | PC_BIT('+') | PC_RANGE('-', ':') | PC_BIT('='),
	PC_RANGE('A', 'Z') | PC_BIT('_') | PC_RANGE('a', 'z') | PC_BIT('~'),
	0, 0
};

static bool
plain_char(unsigned char c)
{
	return (plain_bits[c >> 6] >> (c & 63)) & 1;
}

/* strlen(s) into *ret_n, and whether s is plain: one pass for both. */
static bool
plain_len(const char *s, size_t *ret_n)
{
	uint64_t bad = 0;
	size_t n;

	for (n = 0; s[n] != '\0'; n++)
		bad |= !plain_char((unsigned char)s[n]);
	*ret_n = n;
	return bad == 0;
}

static bool
plain(const char *s)
{
	for (; *s; s++)
		if (!plain_char((unsigned char)*s))
			return false;
	return true;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* ------------------------------------------------------------ checks */

/* Whether the evidence of a rule touched the probe path itself. */
static bool
probe_in_evidence(const char *probe, const char *const *paths, size_t nev)
{
	for (size_t i = 0; i < nev; i++)
		if (strcmp(paths[i], probe) == 0)
			return true;
	return false;
}

/*
 * A generalised file pattern is safe when it compiles, matches every
 * observed path it absorbs (paths[0..nev)), and no probe path the
 * evidence did not touch.  The paths, not the observations: the sibling
 * step has them at hand, and reaching each observation again was a cache
 * miss per evidence in a big profile.
 */
static bool
pattern_safe(const char *pattern, const struct aare_vars *vars,
    const char *const *paths, size_t nev)
{
	struct aare *a;
	bool ok = true;

	if (aare_compile_path(pattern, strlen(pattern), vars, &a, NULL) < 0)
		return false;
	for (size_t i = 0; i < nev && ok; i++)
		ok = aare_match(a, paths[i], strlen(paths[i]));
	for (size_t i = 0; probes[i] != NULL && ok; i++)
		if (aare_match(a, probes[i], strlen(probes[i])) &&
		    !probe_in_evidence(probes[i], paths, nev))
			ok = false;
	aare_free(a);
	return ok;
}

/* "owner? PATTERN PERMS," for a generalised file/exec rule. */
static char *
pattern_rule(const char *pattern, uint64_t mask, enum access_class cls)
{
	char perms[64], *out;
	bool owner = !(mask & MASK_NOT_OWNER);
	bool quote = strchr(pattern, ' ') != NULL;
	size_t n;

	if (mask_format(mask, cls, perms, sizeof(perms)) == NULL ||
	    perms[0] == '\0')
		return NULL;
	n = strlen(pattern) + strlen(perms) + 16;
	if ((out = malloc(n)) == NULL)
		return NULL;
	snprintf(out, n, "%s%s%s%s %s,", owner ? "owner " : "",
	    quote ? "\"" : "", pattern, quote ? "\"" : "", perms);
	return out;
}

/* ------------------------------------------------------------ state */

struct ctx {
	const struct policy *pol;
	const struct aare_vars *vars;
	const struct observation *obs;
	size_t	 nobs;
	const struct propose_options *opt;
	unsigned threshold;
	bool	*done;		/* observation handled */
	/*
	 * The masks still to grant, by observation: after step 1 the
	 * observations' own masks cut to what the profile lacks.  Every
	 * step after it reads a mask from here, never from obs (a copy of
	 * every observation for this was 16 MB at 100,000 of them).
	 */
	uint64_t *mask;
	struct plist pl;
};

/* File-like: a path to generalise. */
static bool
pathlike(const struct observation *o)
{
	return (o->access.cls == ACCESS_FILE || o->access.cls == ACCESS_EXEC) &&
	    o->access.f[0][0] == '/';
}

/* The permissions part of a mask that rules carry (owner kept apart). */
static uint64_t
perm_key(uint64_t mask)
{
	return mask & (MASK_PERMS | MASK_NOT_OWNER);
}

/* Observation i's access with the mask still to grant. */
static struct access
work_access(const struct ctx *c, size_t i)
{
	struct access a = c->obs[i].access;

	a.mask = c->mask[i];
	return a;
}

/* ------------------------------------------------------------ step 1 */

static void
step_allowed(struct ctx *c)
{
	for (size_t i = 0; i < c->nobs && !c->pl.err; i++) {
		const struct access *a = &c->obs[i].access;
		struct proposal *p;
		bool allows, denies;
		uint64_t have;

		if (a->cls == ACCESS_NONE || a->cls >= ACCESS_NCLASSES) {
			c->done[i] = true;
			if ((p = plist_new(&c->pl, PROPOSAL_NONE,
			    ACCESS_NONE)) == NULL)
				return;
			set_str(&c->pl, &p->reason, "an access of no class "
			    "aalearn can write a rule for");
			absorb(&c->pl, p, c->obs, i, false);
			continue;
		}
		if (c->pol == NULL)
			continue;
		/* One pass over the rules answers all three questions. */
		policy_check(c->pol, a, &allows, &denies, &have);
		if (allows) {
			c->done[i] = true;
			continue;
		}
		if (!denies) {
			/* Only what is missing: r allowed, rw asked -> w. */
			uint64_t perms = a->mask & MASK_PERMS & ~have;

			if ((a->mask & MASK_PERMS) != 0 && perms != 0)
				c->mask[i] = perms | (a->mask & ~MASK_PERMS);
			continue;
		}
		c->done[i] = true;
		if ((p = plist_new(&c->pl, PROPOSAL_NONE, a->cls)) == NULL)
			return;
		set_str(&c->pl, &p->reason, "an explicit deny rule of the "
		    "profile refuses this access; an allow rule cannot grant it");
		absorb(&c->pl, p, c->obs, i, pathlike(&c->obs[i]));
	}
}

/* ------------------------------------------------------------ step 2 */

struct sbuf_lite {
	char	*p;
	size_t	 len;
	size_t	 lines;
	int	 err;
};

static void
beyond_add(struct sbuf_lite *b, const char *line)
{
	size_t n = strlen(line);
	char *p;

	if (b->err)
		return;
	if (b->lines == BEYOND_MAX) {
		line = "...";
		n = 3;
	} else if (b->lines > BEYOND_MAX) {
		return;
	}
	if ((p = realloc(b->p, b->len + n + 2)) == NULL) {
		b->err = -ENOMEM;
		return;
	}
	b->p = p;
	memcpy(p + b->len, line, n);
	b->len += n;
	p[b->len++] = '\n';
	p[b->len] = '\0';
	b->lines++;
}

/* strncmp(a, b, n) == 0 for the few bytes of a run, without the call. */
static bool
same_start(const char *a, const char *b, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		if (a[k] != b[k])
			return false;
		if (a[k] == '\0')
			return true;
	}
	return true;
}

/* Whether pol lets the probe path be read. */
static bool
probe_allowed(const struct policy *pol, const char *probe)
{
	struct access a = { .cls = ACCESS_FILE, .mask = MASK_READ };

	for (int k = 0; k < ACCESS_NFIELDS; k++)
		a.f[k] = "";
	a.f[0] = probe;
	return policy_allowed(pol, &a) != 0;
}

/*
 * An abstraction considered in step 2.  Why this shape: each of the 14
 * default abstractions used to be loaded again in every round and asked
 * about every pending observation in a pass of its own; a diff of 100,000
 * observations spent most of that pass waiting for memory.  Now each is
 * loaded once, one pass over the observations asks all of them, and a
 * later round only drops what got done since (a pending observation's
 * answer does not change).
 */
struct abst {
	struct policy *ab;	/* NULL: not loaded, or out for good */
	size_t	*cov, ncov, cap;	/* pending observations it allows */
	bool	 counted;	/* cov is known (from an earlier round) */
	const char *run;	/* the names settled by policy_file_candidates */
	size_t	 runlen;
	bool	 run_none;
};

/* The abstraction with the host's variables.  0 or -errno. */
static int
abst_load(struct ctx *c, const char *name, struct policy **ret)
{
	struct policy *ab;
	char rule[512];
	int rc;

	if (strlen(name) > 400 || strpbrk(name, "<>\"\n ") != NULL)
		return -EINVAL;
	if ((ab = policy_new()) == NULL)
		return -ENOMEM;
	/* The host's variables first: abstractions are written with them. */
	rc = policy_add_rule(ab, "include if exists <tunables/global>",
	    c->opt->loader, c->opt->loader_arg);
	if (rc == 0) {
		snprintf(rule, sizeof(rule), "include <%s>", name);
		rc = policy_add_rule(ab, rule, c->opt->loader,
		    c->opt->loader_arg);
	}
	if (rc < 0) {
		policy_free(ab);
		return rc;
	}
	*ret = ab;
	return 0;
}

/*
 * A probe it allows that no pending observation is: the trap below
 * refuses it whatever it covers, now and in every later round (pending
 * observations only get fewer).
 */
static bool
abst_trapped(const struct ctx *c, const struct policy *ab)
{
	for (size_t i = 0; probes[i] != NULL; i++) {
		bool seen = false;

		if (!probe_allowed(ab, probes[i]))
			continue;
		for (size_t k = 0; k < c->nobs && !seen; k++)
			seen = !c->done[k] &&
			    strcmp(c->obs[k].access.f[0], probes[i]) == 0;
		if (!seen)
			return true;
	}
	return false;
}

static int
abst_add(struct abst *x, size_t i)
{
	if (x->ncov == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 64;
		size_t *v = realloc(x->cov, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		x->cov = v;
		x->cap = cap;
	}
	x->cov[x->ncov++] = i;
	return 0;
}

/* The pending observations each of v[0..n) allows, in one pass. */
static int
abst_count(struct ctx *c, struct abst *v, size_t n)
{
	for (size_t i = 0; i < c->nobs; i++) {
		const struct access *a = &c->obs[i].access;
		bool file = a->cls == ACCESS_FILE || a->cls == ACCESS_EXEC;
		struct access w;

		if (c->done[i])
			continue;
		if (a->mask != c->mask[i]) {
			w = work_access(c, i);
			a = &w;
		}
		for (size_t k = 0; k < n; k++) {
			struct abst *x = &v[k];

			if (x->ab == NULL || x->counted)
				continue;
			/*
			 * Most names meet no rule of an abstraction at all;
			 * names come sorted, so a run of them that shares
			 * the bytes deciding that is settled by its first.
			 */
			if (file) {
				if (x->run == NULL || !same_start(x->run,
				    a->f[0], x->runlen)) {
					x->run = a->f[0];
					x->run_none = !policy_file_candidates(
					    x->ab, x->run, &x->runlen);
				}
				if (x->run_none)
					continue;
			}
			if (policy_allows(x->ab, a) && abst_add(x, i) < 0)
				return -ENOMEM;
		}
	}
	for (size_t k = 0; k < n; k++)
		v[k].counted = true;
	return 0;
}

/*
 * Evaluate one abstraction over the observations it allows: whether it
 * stays away from the probes the evidence did not touch and grants nothing
 * privileged beyond them.  *ret_n: how many it covers (0: refused), with
 * *ret_beyond what else it grants.
 */
static int
abst_finish(struct ctx *c, const struct policy *ab, const size_t *cov,
    size_t ncov, size_t *ret_n, char **ret_beyond)
{
	struct sbuf_lite b = { 0 };
	int rc = 0;

	*ret_n = 0;
	*ret_beyond = NULL;
	if (ncov < 2)
		return 0;
	/* What it grants that nobody asked for: probes, then other classes. */
	for (size_t i = 0; probes[i] != NULL; i++) {
		bool touched = false;

		if (!probe_allowed(ab, probes[i]))
			continue;
		for (size_t k = 0; k < ncov && !touched; k++)
			touched = strcmp(c->obs[cov[k]].access.f[0],
			    probes[i]) == 0;
		if (!touched)
			return 0;	/* the trap: refuse it */
	}
	{
		/* What it grants that none of the evidence used. */
		struct access *accs = calloc(ncov, sizeof(*accs));
		char **texts = NULL, line[96];
		size_t total = 0, priv = 0;

		if (accs == NULL)
			return -ENOMEM;
		for (size_t k = 0; k < ncov; k++)
			accs[k] = work_access(c, cov[k]);
		rc = policy_unmatched_rules(ab, accs, ncov, BEYOND_MAX, &texts,
		    &total, &priv);
		free(accs);
		if (rc < 0)
			return rc;
		if (priv > 0) {
			/* capabilities, mounts, exec out of the profile:
			 * not "little" */
			profile_strv_free(texts);
			return 0;
		}
		snprintf(line, sizeof(line), "%zu of its rules allow none of "
		    "the observations:", total);
		beyond_add(&b, line);
		for (size_t k = 0; texts[k] != NULL; k++)
			beyond_add(&b, texts[k]);
		profile_strv_free(texts);
	}
	if (b.err) {
		free(b.p);
		return b.err;
	}
	*ret_n = ncov;
	*ret_beyond = b.p;
	return 0;
}

static void
step_abstractions(struct ctx *c)
{
	const char *const *names = c->opt->abstractions;
	size_t nnames = c->opt->nabstractions;
	struct abst *v;

	if (c->opt->no_abstractions || c->opt->loader == NULL)
		return;
	if (names == NULL) {
		names = default_abstractions;
		for (nnames = 0; names[nnames] != NULL; nnames++)
			;
	}
	if ((v = calloc(nnames + 1, sizeof(*v))) == NULL) {
		c->pl.err = -ENOMEM;
		return;
	}
	for (size_t k = 0; k < nnames && !c->pl.err; k++) {
		int rc;

		if (names[k] == NULL)
			continue;
		/* one that does not load is skipped (as in every round) */
		if ((rc = abst_load(c, names[k], &v[k].ab)) == -ENOMEM)
			c->pl.err = rc;
	}
	while (!c->pl.err) {
		size_t best_n = 0, best_k = 0;
		char *best_beyond = NULL;
		const char *best = NULL;
		struct proposal *p;

		for (size_t k = 0; k < nnames; k++) {
			if (v[k].ab == NULL || !abst_trapped(c, v[k].ab))
				continue;
			policy_free(v[k].ab);
			v[k].ab = NULL;
		}
		/* known counts lose what got done since */
		for (size_t k = 0; k < nnames; k++) {
			size_t w = 0;

			if (v[k].ab == NULL || !v[k].counted)
				continue;
			for (size_t q = 0; q < v[k].ncov; q++)
				if (!c->done[v[k].cov[q]])
					v[k].cov[w++] = v[k].cov[q];
			v[k].ncov = w;
		}
		if (abst_count(c, v, nnames) < 0) {
			c->pl.err = -ENOMEM;
			break;
		}
		for (size_t k = 0; k < nnames && !c->pl.err; k++) {
			char *beyond = NULL;
			size_t n = 0;
			int rc;

			if (v[k].ab == NULL)
				continue;
			rc = abst_finish(c, v[k].ab, v[k].cov, v[k].ncov, &n,
			    &beyond);
			if (rc < 0) {
				if (rc == -ENOMEM)
					c->pl.err = rc;
				continue;
			}
			if (n > best_n) {
				free(best_beyond);
				best_beyond = beyond;
				best_n = n;
				best_k = k;
				best = names[k];
			} else {
				free(beyond);
			}
		}
		if (best == NULL || c->pl.err) {
			free(best_beyond);
			break;
		}
		p = plist_new(&c->pl, PROPOSAL_INCLUDE, ACCESS_NONE);
		if (p != NULL) {
			const size_t *cov = v[best_k].cov;
			char text[512], why[600];

			snprintf(text, sizeof(text), "include <%s>", best);
			set_str(&c->pl, &p->text, text);
			snprintf(why, sizeof(why), "the abstraction %s allows "
			    "%zu of the observations", best, best_n);
			set_str(&c->pl, &p->reason, why);
			p->beyond = best_beyond;
			best_beyond = NULL;
			for (size_t k = 0; k < best_n; k++) {
				absorb(&c->pl, p, c->obs, cov[k],
				    pathlike(&c->obs[cov[k]]));
				c->done[cov[k]] = true;
			}
			if (p->evidence != NULL)
				p->cls = c->obs[p->evidence[0]].access.cls;
		}
		free(best_beyond);
	}
	for (size_t k = 0; k < nnames; k++) {
		policy_free(v[k].ab);
		free(v[k].cov);
	}
	free(v);
}

/* ------------------------------------------------------------ step 3 */

/* Skip "/proc/<digits>" at s; returns the length of the digits or 0. */
static size_t
digits_at(const char *s)
{
	size_t n = 0;

	while (is_digit(s[n]))
		n++;
	return n > 0 && (s[n] == '/' || s[n] == '\0') ? n : 0;
}

/*
 * The per-process form of a path (the caller checked that the host
 * defines @{PROC} and @{pid}; have_tid: and @{tid}):
 * /proc/1234/status -> @{PROC}/@{pid}/status, .../task/77/... -> @{tid}.
 * Into buf; false when the path is not per-process or not plain.
 */
static bool
proc_pattern(const char *path, char *buf, size_t len, bool have_tid)
{
	const char *rest;
	size_t n, tn;
	int w;

	if (!starts_with(path, "/proc/") || !plain(path))
		return false;
	if ((n = digits_at(path + 6)) == 0)
		return false;
	rest = path + 6 + n;
	if (starts_with(rest, "/task/") && (tn = digits_at(rest + 6)) > 0 &&
	    have_tid) {
		w = snprintf(buf, len, "@{PROC}/@{pid}/task/@{tid}%s",
		    rest + 6 + tn);
	} else {
		w = snprintf(buf, len, "@{PROC}/@{pid}%s", rest);
	}
	return w > 0 && (size_t)w < len;
}

struct vitem {
	size_t	 obs;
	char	*pat;
};

static int
cmp_vitem(const void *x, const void *y)
{
	const struct vitem *a = x, *b = y;
	int r = strcmp(a->pat, b->pat);

	if (r != 0)
		return r;
	return a->obs < b->obs ? -1 : a->obs > b->obs;
}

static void
step_variables(struct ctx *c)
{
	struct vitem *v;
	size_t nv = 0;
	char pat[4096], key[4200];
	bool have_tid;

	/* The host's variables, looked up once rather than per path. */
	if (policy_var(c->pol, "PROC", NULL) == NULL ||
	    policy_var(c->pol, "pid", NULL) == NULL)
		return;		/* no path is per-process then */
	have_tid = policy_var(c->pol, "tid", NULL) != NULL;
	if ((v = calloc(c->nobs + 1, sizeof(*v))) == NULL) {
		c->pl.err = -ENOMEM;
		return;
	}
	/* The pattern of each per-process path, keyed with class and
	 * permissions so that one sort groups what shares a rule. */
	for (size_t i = 0; i < c->nobs; i++) {
		const struct observation *o = &c->obs[i];

		if (c->done[i] || !pathlike(o) ||
		    !proc_pattern(o->access.f[0], pat, sizeof(pat), have_tid))
			continue;
		snprintf(key, sizeof(key), "%d|%016llx|%s", (int)o->access.cls,
		    (unsigned long long)perm_key(c->mask[i]), pat);
		if ((v[nv].pat = strdup(key)) == NULL) {
			c->pl.err = -ENOMEM;
			break;
		}
		v[nv++].obs = i;
	}
	if (!c->pl.err && nv > 1)
		qsort(v, nv, sizeof(*v), cmp_vitem);
	for (size_t i = 0; i < nv && !c->pl.err;) {
		size_t j = i, *ev, nev = 0;
		const struct observation *o = &c->obs[v[i].obs];
		const char *pt = strchr(strchr(v[i].pat, '|') + 1, '|') + 1;
		const char **evp;
		struct proposal *p;
		char *text;
		bool safe;

		while (j < nv && strcmp(v[j].pat, v[i].pat) == 0)
			j++;
		if ((ev = calloc(j - i, sizeof(*ev))) == NULL) {
			c->pl.err = -ENOMEM;
			break;
		}
		for (size_t k = i; k < j; k++)
			ev[nev++] = v[k].obs;
		if ((evp = calloc(nev, sizeof(*evp))) == NULL) {
			free(ev);
			c->pl.err = -ENOMEM;
			break;
		}
		for (size_t k = 0; k < nev; k++)
			evp[k] = c->obs[ev[k]].access.f[0];
		safe = pattern_safe(pt, c->vars, evp, nev);
		free(evp);
		if (!safe ||
		    (text = pattern_rule(pt, c->mask[v[i].obs],
		    o->access.cls)) == NULL) {
			free(ev);
			i = j;
			continue;	/* stays for the exact step */
		}
		if ((p = plist_new(&c->pl, PROPOSAL_RULE, o->access.cls)) ==
		    NULL) {
			free(text);
			free(ev);
			break;
		}
		p->text = text;
		p->generalised = true;
		set_str(&c->pl, &p->reason, "per-process path: the process id "
		    "became the host's @{pid} variable");
		set_str(&c->pl, &p->beyond, "the same file of every other "
		    "process this profile can see");
		for (size_t k = 0; k < nev; k++) {
			absorb(&c->pl, p, c->obs, ev[k], true);
			c->done[ev[k]] = true;
		}
		free(ev);
		i = j;
	}
	for (size_t i = 0; i < nv; i++)
		free(v[i].pat);
	free(v);
}

/* ------------------------------------------------------------ step 4 */

struct item {
	size_t	 obs;		/* index of the observation */
	const char *path;
	size_t	 dirlen;	/* path[0..dirlen) is the directory, no '/' */
	const char *name;	/* last component, trailing '/' kept */
	size_t	 namelen;	/* without the trailing '/' */
	uint64_t hash;		/* of class, permissions and directory */
	uint64_t pk;		/* perm_key of the mask still to grant */
	size_t	 pathrun;	/* the first item with the same path */
	bool	 used;
};

static bool
dir_exact(const char *path, size_t pathlen, size_t dirlen)
{
	for (size_t i = 0; exact_dirs[i].s != NULL; i++) {
		size_t n = exact_dirs[i].n;

		if ((n == 1 && dirlen == 0) || (n == dirlen &&
		    memcmp(path, exact_dirs[i].s, n) == 0))
			return true;
	}
	/* every tree is at least "/x/": its second byte first */
	for (size_t i = 0; exact_trees[i].s != NULL; i++)
		if (exact_trees[i].n <= pathlen &&
		    exact_trees[i].s[1] == path[1] &&
		    memcmp(path, exact_trees[i].s, exact_trees[i].n) == 0)
			return true;
	return false;
}

static bool
is_delim(char ch)
{
	return ch == '.' || ch == '_' || ch == '-';
}

/* Segment k of a name (alternating runs between delimiters). */
static bool
segment(const char *name, size_t n, size_t k, size_t *ret_s, size_t *ret_e)
{
	size_t s = 0, idx = 0;

	for (;;) {
		size_t e = s;

		while (e < n && !is_delim(name[e]))
			e++;
		if (idx == k) {
			*ret_s = s;
			*ret_e = e;
			return true;
		}
		if (e >= n)
			return false;
		s = e + 1;
		idx++;
	}
}

static bool
alnum_run(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    is_digit(ch)))
			return false;
	}
	return true;
}

/*
 * Items i..j of `its` (same directory and permissions) that differ only in
 * segment k: is that segment random or numeric in all of them?
 */
static bool
varying_ok(struct item **v, size_t n, size_t k)
{
	size_t len0 = 0;
	bool digits = true, samelen = true;

	for (size_t i = 0; i < n; i++) {
		size_t s, e;
		bool d = false;

		if (!segment(v[i]->name, v[i]->namelen, k, &s, &e) ||
		    !alnum_run(v[i]->name + s, e - s))
			return false;
		for (size_t q = s; q < e; q++)
			d |= is_digit(v[i]->name[q]);
		digits &= d;
		if (i == 0)
			len0 = e - s;
		samelen &= e - s == len0;
	}
	return digits || (samelen && len0 >= 6);
}

static void
emit_glob(struct ctx *c, struct item **v, size_t n, size_t k)
{
	size_t s0 = 0, e0 = 0, cp, cs, minlen = SIZE_MAX;
	const char **ev;
	const struct item *a = v[0];
	char *pat, *text;
	struct proposal *p;
	size_t plen;

	segment(a->name, a->namelen, k, &s0, &e0);
	/* Common prefix and suffix of the varying values. */
	cp = e0 - s0;
	cs = e0 - s0;
	for (size_t i = 0; i < n; i++) {
		size_t s = 0, e = 0, q;

		segment(v[i]->name, v[i]->namelen, k, &s, &e);
		if (e - s < minlen)
			minlen = e - s;
		for (q = 0; q < cp && q < e - s && v[i]->name[s + q] ==
		    a->name[s0 + q]; q++)
			;
		cp = q;
		for (q = 0; q < cs && q < e - s && v[i]->name[e - 1 - q] ==
		    a->name[e0 - 1 - q]; q++)
			;
		cs = q;
	}
	if (cp > minlen)
		cp = minlen;
	if (cs > minlen - cp)
		cs = minlen - cp;
	/* Never "*" alone for a name: that is the directory as a whole. */
	if (s0 + cp == 0 && a->namelen - (e0 - cs) == 0)
		return;
	plen = a->dirlen + a->namelen + 8;
	if ((pat = malloc(plen)) == NULL) {
		c->pl.err = -ENOMEM;
		return;
	}
	snprintf(pat, plen, "%.*s/%.*s*%s", (int)a->dirlen, a->path,
	    (int)(s0 + cp), a->name, a->name + e0 - cs);
	if ((ev = calloc(n, sizeof(*ev))) == NULL) {
		free(pat);
		c->pl.err = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < n; i++)
		ev[i] = v[i]->path;
	if (!pattern_safe(pat, c->vars, ev, n) ||
	    (text = pattern_rule(pat, c->mask[a->obs],
	    c->obs[a->obs].access.cls)) == NULL) {
		free(ev);
		free(pat);
		return;
	}
	if ((p = plist_new(&c->pl, PROPOSAL_RULE,
	    c->obs[a->obs].access.cls)) == NULL) {
		free(text);
		free(ev);
		free(pat);
		return;
	}
	p->text = text;
	p->generalised = true;
	{
		char why[256], *beyond;
		size_t bl = strlen(pat) + 128;

		snprintf(why, sizeof(why), "%zu sibling names that differ only "
		    "in a random or numeric part", n);
		set_str(&c->pl, &p->reason, why);
		if ((beyond = malloc(bl)) != NULL) {
			snprintf(beyond, bl, "any other name in %.*s/ of the "
			    "form %s", (int)a->dirlen, a->path,
			    pat + a->dirlen + 1);
			p->beyond = beyond;
		} else {
			c->pl.err = -ENOMEM;
		}
	}
	for (size_t i = 0; i < n; i++) {
		absorb(&c->pl, p, c->obs, v[i]->obs, true);
		c->done[v[i]->obs] = true;
		v[i]->used = true;
	}
	free(ev);
	free(pat);
}

/*
 * One (item, varying segment): the key is everything but that segment --
 * class, permissions, directory, the name before and after the segment,
 * and whether it is a directory.  Items that share a key are siblings.
 *
 * Why not a string per key: a 100,000-observation diff spent a third of
 * its time formatting ~200,000 such strings and sorting them with strcmp
 * over their long shared directories.  Keys are grouped by a hash and
 * compared field by field; only the clusters that become candidates get
 * their key text, to keep the order the string sort gave them.
 */
struct skey {
	uint64_t hash;
	uint32_t item;
	uint32_t s0, e0;	/* the segment in the item's name */
	uint32_t k;
};

/*
 * Bytes into a running hash, eight at a time (the keys' hashes only
 * spread them over a table: equal keys are told by their fields).
 */
static uint64_t
hash_bytes(const char *s, size_t n, uint64_t h)
{
	uint64_t w;

	h ^= n * 0x9e3779b97f4a7c15ULL;
	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
	}
	w = 0;
	memcpy(&w, s, n);
	h = (h ^ w) * 0x94d049bb133111ebULL;
	return h ^ (h >> 29);
}

static int
cmp_bytes(const char *a, size_t na, const char *b, size_t nb)
{
	int r = memcmp(a, b, na < nb ? na : nb);

	if (r != 0)
		return r;
	return na < nb ? -1 : na > nb;
}

/* Key fields of k as a total order (0 exactly when the keys are equal). */
static int
skey_fields_cmp(const struct skey *a, const struct skey *b,
    const struct item *its, const struct observation *obs)
{
	const struct item *x = &its[a->item], *y = &its[b->item];
	const struct observation *ox = &obs[x->obs], *oy = &obs[y->obs];
	uint64_t px = x->pk, py = y->pk;
	int r;

	if (ox->access.cls != oy->access.cls)
		return ox->access.cls < oy->access.cls ? -1 : 1;
	if (px != py)
		return px < py ? -1 : 1;
	if ((r = cmp_bytes(x->path, x->dirlen, y->path, y->dirlen)) != 0)
		return r;
	if ((r = cmp_bytes(x->name, a->s0, y->name, b->s0)) != 0)
		return r;
	if ((r = cmp_bytes(x->name + a->e0, x->namelen - a->e0,
	    y->name + b->e0, y->namelen - b->e0)) != 0)
		return r;
	return (x->name[x->namelen] == '/') - (y->name[y->namelen] == '/');
}

/* The part of every key of an item that its segments do not change. */
static uint64_t
item_hash(const struct item *it, const struct observation *o)
{
	uint64_t h = 0xcbf29ce484222325ULL, pk = it->pk;
	int cls = (int)o->access.cls;

	h = hash_bytes((const char *)&cls, sizeof(cls), h);
	h = hash_bytes((const char *)&pk, sizeof(pk), h);
	h = hash_bytes(it->path, it->dirlen, h);
	return hash_bytes("/", 1, h);
}

static uint64_t
skey_hash(const struct skey *k, const struct item *its)
{
	const struct item *it = &its[k->item];
	char d = it->name[it->namelen] == '/' ? 'd' : 'f';
	uint64_t h = it->hash;

	h = hash_bytes(it->name, k->s0, h);
	h = hash_bytes("\x01", 1, h);
	h = hash_bytes(it->name + k->e0, it->namelen - k->e0, h);
	return hash_bytes(&d, 1, h);
}

/*
 * The order that puts equal keys next to each other, each run in item
 * order (the order the keys come in): a hash table gives each key its
 * cluster, then one counting pass places the clusters.  Linear, where a
 * comparison sort of the keys was most of step 4.
 */
static int
skey_group(const struct skey *keys, size_t n, const struct item *its,
    const struct observation *obs, uint32_t **ret_order,
    uint32_t **ret_start, size_t *ret_ngroups)
{
	size_t cap = 16, ngroups = 0, mask;
	uint32_t *table, *gid, *first, *pos, *order;
	int rc = -ENOMEM;

	if (n > UINT32_MAX / 4)
		return -E2BIG;
	while (cap < 2 * n)
		cap *= 2;
	mask = cap - 1;
	table = malloc(cap * sizeof(*table));
	gid = malloc((n + 1) * sizeof(*gid));
	first = malloc((n + 1) * sizeof(*first));	/* a key of each */
	pos = calloc(n + 1, sizeof(*pos));	/* its size, then its start */
	order = malloc((n + 1) * sizeof(*order));
	if (table == NULL || gid == NULL || first == NULL || pos == NULL ||
	    order == NULL)
		goto out;
	memset(table, 0xff, cap * sizeof(*table));
	for (size_t i = 0; i < n; i++) {
		size_t h = (size_t)keys[i].hash & mask;

		for (;; h = (h + 1) & mask) {
			uint32_t g = table[h];

			if (g == UINT32_MAX) {
				table[h] = (uint32_t)ngroups;
				first[ngroups] = (uint32_t)i;
				gid[i] = (uint32_t)ngroups++;
				break;
			}
			if (keys[first[g]].hash == keys[i].hash &&
			    skey_fields_cmp(&keys[first[g]], &keys[i], its,
			    obs) == 0) {
				gid[i] = g;
				break;
			}
		}
		pos[gid[i] + 1]++;
	}
	for (size_t g = 0; g < ngroups; g++)
		pos[g + 1] += pos[g];
	for (size_t i = 0; i < n; i++)
		order[pos[gid[i]]++] = (uint32_t)i;
	/* pos[g] is now where cluster g ends: the next one's start */
	memmove(pos + 1, pos, ngroups * sizeof(*pos));
	pos[0] = 0;
	*ret_order = order;
	*ret_start = pos;
	*ret_ngroups = ngroups;
	order = NULL;
	pos = NULL;
	rc = 0;
out:
	free(table);
	free(gid);
	free(first);
	free(pos);
	free(order);
	return rc;
}

/* The key as text, the order candidates of one size are taken in. */
static char *
skey_text(const struct skey *k, const struct item *its,
    const struct observation *obs)
{
	const struct item *it = &its[k->item];
	const struct observation *o = &obs[it->obs];
	size_t kl = strlen(it->path) + 48;
	char *key = malloc(kl);

	if (key == NULL)
		return NULL;
	snprintf(key, kl, "%d|%016llx|%.*s/%.*s\x01%.*s|%c",
	    (int)o->access.cls, (unsigned long long)it->pk,
	    (int)it->dirlen, it->path, (int)k->s0, it->name,
	    (int)(it->namelen - k->e0), it->name + k->e0,
	    it->name[it->namelen] == '/' ? 'd' : 'f');
	return key;
}

static int
cmp_item_path(const void *x, const void *y)
{
	const struct item *a = x, *b = y;
	int r = strcmp(a->path, b->path);

	if (r != 0)
		return r;
	return a->obs < b->obs ? -1 : a->obs > b->obs;
}

/* A run of equal keys: a cluster of siblings. */
struct cand {
	size_t	 start, end;	/* in the sorted keys */
	size_t	 distinct;
	char	*text;		/* the key, for the order of equal sizes */
};

static int
cmp_cand(const void *x, const void *y)
{
	const struct cand *a = x, *b = y;

	if (a->distinct != b->distinct)
		return a->distinct > b->distinct ? -1 : 1;
	return strcmp(a->text, b->text);
}

/* Items of keys[order[s..e)] not used yet, distinct paths only, into grp. */
static size_t
cand_items(struct item *its, const struct skey *keys, const uint32_t *order,
    size_t s, size_t e, struct item **grp, size_t *ret_all,
    struct item **all)
{
	size_t n = 0, na = 0;

	/* items are sorted by path, and a run by item: equal paths are
	 * neighbours */
	for (size_t q = s; q < e; q++) {
		struct item *it = &its[keys[order[q]].item];

		if (it->used)
			continue;
		all[na++] = it;
		/* strcmp of the two paths, known without reading them */
		if (n == 0 || grp[n - 1]->pathrun != it->pathrun)
			grp[n++] = it;
	}
	*ret_all = na;
	return n;
}

static void
step_siblings(struct ctx *c)
{
	struct item *its = calloc(c->nobs + 1, sizeof(*its));
	struct item **grp = calloc(c->nobs + 1, sizeof(*grp));
	struct item **all = calloc(c->nobs + 1, sizeof(*all));
	struct skey *keys = NULL;
	uint32_t *order = NULL, *gstart = NULL;
	struct cand *cands = NULL;
	size_t nits = 0, nkeys = 0, ncands = 0, ngroups = 0;
	int rc;

	if (its == NULL || grp == NULL || all == NULL)
		goto nomem;
	for (size_t i = 0; i < c->nobs; i++) {
		const struct observation *o = &c->obs[i];
		const char *path = o->access.f[0], *slash;
		size_t n, end;
		struct item *it;

		if (c->done[i] || !pathlike(o) ||
		    (o->access.cls == ACCESS_FILE &&
		    o->access.f[1][0] != '\0') || !plain_len(path, &n) ||
		    n < 2 || n >= UINT32_MAX)
			continue;
		end = n;
		if (path[end - 1] == '/')
			end--;
		slash = path + end;
		while (slash > path && slash[-1] != '/')
			slash--;
		it = &its[nits];
		it->obs = i;
		it->pk = perm_key(c->mask[i]);
		it->path = path;
		it->dirlen = (size_t)(slash - path) - 1;
		it->name = slash;
		it->namelen = end - (size_t)(slash - path);
		if (it->namelen == 0 || dir_exact(path, n, it->dirlen))
			continue;
		nits++;
	}
	if (nits < c->threshold)
		goto out;
	if (nits > UINT32_MAX) {
		c->pl.err = -E2BIG;
		goto out;
	}
	/* Observations come sorted by path from the store: skip the sort
	 * when they already are (the check uses the sort's own order). */
	for (size_t i = 1; i < nits; i++) {
		if (cmp_item_path(&its[i - 1], &its[i]) > 0) {
			qsort(its, nits, sizeof(*its), cmp_item_path);
			break;
		}
	}
	/* Runs of equal paths (neighbours once sorted). */
	for (size_t i = 0; i < nits; i++)
		its[i].pathrun = i > 0 && strcmp(its[i - 1].path,
		    its[i].path) == 0 ? its[i - 1].pathrun : i;
	if ((keys = calloc(nits * 16 + 1, sizeof(*keys))) == NULL)
		goto nomem;
	for (size_t i = 0; i < nits; i++) {
		struct item *it = &its[i];

		it->hash = item_hash(it, &c->obs[it->obs]);
		/* segment(name, k) for k = 0, 1, ... in one pass */
		for (size_t k = 0, s0 = 0; k < 16; k++) {
			size_t e0 = s0;

			while (e0 < it->namelen && !is_delim(it->name[e0]))
				e0++;
			keys[nkeys].item = (uint32_t)i;
			keys[nkeys].k = (uint32_t)k;
			keys[nkeys].s0 = (uint32_t)s0;
			keys[nkeys].e0 = (uint32_t)e0;
			keys[nkeys].hash = skey_hash(&keys[nkeys], its);
			nkeys++;
			if (e0 >= it->namelen)
				break;
			s0 = e0 + 1;
		}
	}
	if ((rc = skey_group(keys, nkeys, its, c->obs, &order, &gstart,
	    &ngroups)) < 0) {
		c->pl.err = rc;
		goto out;
	}
	if ((cands = calloc(ngroups + 1, sizeof(*cands))) == NULL)
		goto nomem;
	for (size_t g = 0; g < ngroups; g++) {
		size_t i = gstart[g], j = gstart[g + 1], na;
		const struct skey *ki = &keys[order[i]];

		if (j - i >= c->threshold) {
			size_t d = cand_items(its, keys, order, i, j, grp, &na,
			    all);

			if (d >= c->threshold && varying_ok(grp, d, ki->k)) {
				if ((cands[ncands].text = skey_text(ki, its,
				    c->obs)) == NULL)
					goto nomem;
				cands[ncands].start = i;
				cands[ncands].end = j;
				cands[ncands++].distinct = d;
			}
		}
	}
	/* The biggest clusters first; an item goes into one glob at most. */
	qsort(cands, ncands, sizeof(*cands), cmp_cand);
	for (size_t ci = 0; ci < ncands && !c->pl.err; ci++) {
		size_t na, d = cand_items(its, keys, order, cands[ci].start,
		    cands[ci].end, grp, &na, all);
		size_t k = keys[order[cands[ci].start]].k;

		/* None of its items taken by a bigger glob: the same items
		 * passed varying_ok in the first pass. */
		if (na != cands[ci].end - cands[ci].start &&
		    (d < c->threshold || !varying_ok(grp, d, k)))
			continue;
		emit_glob(c, all, na, k);
	}
	goto out;
nomem:
	c->pl.err = -ENOMEM;
out:
	for (size_t i = 0; i < ncands; i++)
		free(cands[i].text);
	free(keys);
	free(order);
	free(gstart);
	free(cands);
	free(all);
	free(grp);
	free(its);
}

/* ------------------------------------------------------------ step 5 */

static bool
known(const struct propose_options *opt, const char *name)
{
	for (size_t i = 0; i < opt->nknown_profiles; i++)
		if (opt->known_profiles[i] != NULL &&
		    strcmp(opt->known_profiles[i], name) == 0)
			return true;
	return false;
}

static bool
real_target(const struct observation *o)
{
	const char *t = o->access.f[1];

	return t[0] != '\0' && strstr(t, "//null-") == NULL &&
	    strcmp(t, "null") != 0 && strcmp(t, "unconfined") != 0 &&
	    (o->profile == NULL || strcmp(t, o->profile) != 0) &&
	    (o->label == NULL || strcmp(t, o->label) != 0);
}

/* The exec mode: cx for a child of this profile, px for a profile of its
 * own, else ix (the child stays confined by this profile). */
static uint64_t
exec_mode(const struct ctx *c, const struct observation *o)
{
	const char *path = o->access.f[0];

	if (c->pol != NULL && policy_has_child(c->pol, path))
		return MASK_EXEC_CHILD;
	if (o->profile != NULL) {
		size_t n = strlen(o->profile) + strlen(path) + 3;
		char *child = malloc(n);
		bool k;

		if (child != NULL) {
			snprintf(child, n, "%s//%s", o->profile, path);
			k = known(c->opt, child);
			free(child);
			if (k)
				return MASK_EXEC_CHILD;
		}
	}
	if (known(c->opt, path))
		return MASK_EXEC_PROFILE;
	/* The kernel found a profile of its own for it (a target label that
	 * is not a //null- learning child, nor unconfined, nor this one):
	 * px to it.  Never ux. */
	if (real_target(o))
		return MASK_EXEC_PROFILE;
	return MASK_EXEC_INHERIT;
}

static int
cmp_access_key(const struct access *a, const struct access *b)
{
	if (a->cls != b->cls)
		return (int)a->cls - (int)b->cls;
	for (int i = 0; i < ACCESS_NFIELDS; i++) {
		int r = strcmp(a->f[i], b->f[i]);

		if (r != 0)
			return r;
	}
	return 0;
}

static const struct observation *cmp_base;

static int
cmp_obs_index(const void *x, const void *y)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	int r = cmp_access_key(&cmp_base[a].access, &cmp_base[b].access);

	if (r != 0)
		return r;
	return a < b ? -1 : a > b;
}

/* Sort indexes by access key (qsort has no argument: a file static that
 * only this sort reads, set just before it). */
static void
sort_by_key(const struct observation *obs, size_t *idx, size_t n)
{
	cmp_base = obs;
	qsort(idx, n, sizeof(*idx), cmp_obs_index);
	cmp_base = NULL;
}

static void
step_exact(struct ctx *c)
{
	char *buf = malloc(RULE_LINE_MAX);
	size_t *idx = calloc(c->nobs + 1, sizeof(*idx)), nidx = 0;

	if (buf == NULL || idx == NULL) {
		free(buf);
		free(idx);
		c->pl.err = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < c->nobs; i++)
		if (!c->done[i])
			idx[nidx++] = i;
	sort_by_key(c->obs, idx, nidx);
	for (size_t i = 0; i < nidx && !c->pl.err;) {
		const struct observation *o = &c->obs[idx[i]];
		struct access a = work_access(c, idx[i]);
		const char *reason = NULL;
		struct proposal *p;
		size_t j = i + 1;
		int n;

		/* Union of the masks of every observation of this key. */
		while (j < nidx && cmp_access_key(&a, &c->obs[idx[j]].access) == 0)
			a.mask |= c->mask[idx[j++]];
		if (a.cls == ACCESS_EXEC) {
			a.mask &= ~MASK_EXEC_MODES;
			a.mask |= exec_mode(c, o);
			/* "px -> target" only when the target is not the
			 * profile the path attaches to anyway */
			if (!real_target(o) || strcmp(a.f[1], a.f[0]) == 0)
				a.f[1] = "";
		}
		n = rule_format(&a, c->opt->new_syntax ? RULE_NEW_SYNTAX : 0,
		    buf, RULE_LINE_MAX, &reason);
		if (n > 0) {
			if ((p = plist_new(&c->pl, PROPOSAL_RULE, a.cls)) == NULL)
				break;
			set_str(&c->pl, &p->text, buf);
		} else {
			if ((p = plist_new(&c->pl, PROPOSAL_NONE, a.cls)) ==
			    NULL)
				break;
			set_str(&c->pl, &p->reason, n == -ENOSPC ?
			    "the rule would be too long" : reason != NULL ?
			    reason : "no rule can name this access exactly");
		}
		for (size_t k = i; k < j; k++) {
			absorb(&c->pl, p, c->obs, idx[k], pathlike(&c->obs[idx[k]]));
			c->done[idx[k]] = true;
		}
		i = j;
	}
	free(idx);
	free(buf);
}

/* ------------------------------------------------------------ main */

static int
cmp_proposal(const void *x, const void *y)
{
	const struct proposal *a = x, *b = y;

	if (a->kind != b->kind)
		return a->kind == PROPOSAL_INCLUDE ? -1 :
		    b->kind == PROPOSAL_INCLUDE ? 1 : (int)a->kind - (int)b->kind;
	if (a->cls != b->cls)
		return (int)a->cls - (int)b->cls;
	if (a->text != NULL && b->text != NULL)
		return strcmp(a->text, b->text);
	return strcmp(a->id, b->id);
}

/*
 * Two keys can make the same rule (an exec seen under two target labels):
 * one proposal then, with the evidence of both.  The list is sorted, so
 * equal texts are adjacent.
 */
static void
merge_same_text(struct ctx *c)
{
	size_t w = 0;

	for (size_t i = 0; i < c->pl.n && !c->pl.err; i++) {
		struct proposal *p = &c->pl.v[i], *into;

		if (w > 0 && p->text != NULL && c->pl.v[w - 1].text != NULL &&
		    p->kind == c->pl.v[w - 1].kind &&
		    strcmp(p->text, c->pl.v[w - 1].text) == 0) {
			into = &c->pl.v[w - 1];
			for (size_t k = 0; k < p->nevidence; k++)
				absorb(&c->pl, into, c->obs, p->evidence[k],
				    pathlike(&c->obs[p->evidence[k]]));
			into->generalised |= p->generalised;
			proposal_clear(p);
			continue;
		}
		if (w != i)
			c->pl.v[w] = *p;
		w++;
	}
	c->pl.n = w;
}

static int
cmp_strp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Each proposal's absorbed paths: sorted, each once. */
static void
paths_unique(struct ctx *c)
{
	for (size_t i = 0; i < c->pl.n; i++) {
		struct proposal *p = &c->pl.v[i];
		size_t w = 0;

		if (p->npaths < 2)
			continue;
		/* Mostly absorbed in order already (the store's, the
		 * siblings'): then there is nothing to sort or drop. */
		for (w = 1; w < p->npaths &&
		    strcmp(p->paths[w - 1], p->paths[w]) < 0; w++)
			;
		if (w == p->npaths)
			continue;
		w = 0;
		qsort(p->paths, p->npaths, sizeof(*p->paths), cmp_strp);
		for (size_t k = 0; k < p->npaths; k++) {
			if (w > 0 && strcmp(p->paths[w - 1], p->paths[k]) == 0) {
				free(p->paths[k]);
				continue;
			}
			p->paths[w++] = p->paths[k];
		}
		p->npaths = w;
	}
}

static void
set_ids(struct ctx *c)
{
	for (size_t i = 0; i < c->pl.n; i++) {
		struct proposal *p = &c->pl.v[i];

		if (p->text != NULL) {
			proposal_id(p->text, p->id);
		} else {
			/* no rule: the id names the access it is about */
			const struct access *a = &c->obs[p->evidence[0]].access;
			uint64_t h = fnv1a("none", 0xcbf29ce484222325ULL);

			h = fnv1a(access_class_name(a->cls) ?
			    access_class_name(a->cls) : "?", h);
			for (int k = 0; k < ACCESS_NFIELDS; k++) {
				h = fnv1a("\x1f", h);
				h = fnv1a(a->f[k], h);
			}
			snprintf(p->id, sizeof(p->id), "%016llx",
			    (unsigned long long)h);
		}
	}
}

int
propose_rules(const struct policy *pol, const struct observation *obs,
    size_t nobs, const struct propose_options *opt, struct proposal **ret,
    size_t *ret_n)
{
	static const struct propose_options defaults;
	struct ctx c = { 0 };

	if ((obs == NULL && nobs > 0) || ret == NULL || ret_n == NULL)
		return -EINVAL;
	c.pol = pol;
	c.vars = policy_vars(pol);
	c.obs = obs;
	c.nobs = nobs;
	c.opt = opt != NULL ? opt : &defaults;
	c.threshold = c.opt->glob_threshold ? c.opt->glob_threshold :
	    DEFAULT_THRESHOLD;
	if (c.threshold < 2)
		c.threshold = 2;
	c.pl.max = c.opt->max_proposals ? c.opt->max_proposals : DEFAULT_MAX;
	for (size_t i = 0; i < nobs; i++)
		for (int k = 0; k < ACCESS_NFIELDS; k++)
			if (obs[i].access.f[k] == NULL)
				return -EINVAL;
	if ((c.done = calloc(nobs + 1, sizeof(*c.done))) == NULL)
		return -ENOMEM;
	if ((c.mask = calloc(nobs + 1, sizeof(*c.mask))) == NULL) {
		free(c.done);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nobs; i++)
		c.mask[i] = obs[i].access.mask;
	step_allowed(&c);
	if (!c.pl.err)
		step_abstractions(&c);
	if (!c.pl.err)
		step_variables(&c);
	if (!c.pl.err)
		step_siblings(&c);
	if (!c.pl.err)
		step_exact(&c);
	free(c.done);
	if (!c.pl.err) {
		if (c.pl.n > 1)
			qsort(c.pl.v, c.pl.n, sizeof(*c.pl.v), cmp_proposal);
		merge_same_text(&c);
	}
	if (!c.pl.err) {
		paths_unique(&c);
		set_ids(&c);
	}
	free(c.mask);
	if (c.pl.err) {
		propose_free(c.pl.v, c.pl.n);
		return c.pl.err;
	}
	*ret = c.pl.v;
	*ret_n = c.pl.n;
	return 0;
}
