/*
 * proposals.c - a profile together with what the store knows about it: the
 * file that defines it, the file that holds aalearn's block, the policy it
 * allows, the observations, and the proposals with their stored decisions.
 * diff, review, apply, enforce, check and profiles all start from here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli_profile.h"

/* At most this many observations of one profile are handed to the learner. */
#define CLI_OBS_MAX 1000000

/*
 * The strings of the observations live in chunks of at least this size,
 * chained, instead of one allocation per observation: a diff of 100,000
 * observations spent as long in malloc, free and the page faults of
 * their headers as in reading the rows.  The chain hangs from the slot
 * one past the last observation (the array always has it), which
 * cli_obs_free() reads; nothing else looks there.
 */
#define OBS_CHUNK (256u << 10)

struct obs_chunk {
	struct obs_chunk *prev;
	size_t	 used, cap;
	char	 data[];
};

struct obs_vec {
	struct observation *v;
	size_t	 n, cap;
	struct obs_chunk *chunk;
	const struct observation *last;	/* the previous copy, to share */
};

/* Room for n bytes in the current chunk, or a new one. */
static char *
obs_room(struct obs_vec *vec, size_t n)
{
	struct obs_chunk *c = vec->chunk;

	if (c == NULL || c->cap - c->used < n) {
		size_t cap = n > OBS_CHUNK ? n : OBS_CHUNK;

		if ((c = malloc(sizeof(*c) + cap)) == NULL)
			return NULL;
		c->prev = vec->chunk;
		c->used = 0;
		c->cap = cap;
		vec->chunk = c;
	}
	c->used += n;
	return c->data + c->used - n;
}

/*
 * A copy of s: the previous observation's copy when it is the same string
 * (rows come grouped by profile and container, and most fields repeat:
 * the label, the container, the comm, the empty fields).
 */
static int
obs_str(struct obs_vec *vec, const char *s, const char *prev,
    const char **ret)
{
	size_t n;
	char *d;

	if (s == NULL) {
		*ret = NULL;
		return 0;
	}
	if (prev != NULL && strcmp(prev, s) == 0) {
		*ret = prev;
		return 0;
	}
	n = strlen(s) + 1;
	if ((d = obs_room(vec, n)) == NULL)
		return -ENOMEM;
	memcpy(d, s, n);
	*ret = d;
	return 0;
}

static int
obs_copy_cb(const struct observation *o, void *arg)
{
	struct obs_vec *vec = arg;
	const struct observation *l = vec->last;
	struct observation *c, *tmp;
	int i, r = 0;

	if (vec->n >= CLI_OBS_MAX)
		return 0;
	if (vec->n + 1 >= vec->cap) {
		size_t cap = vec->cap ? vec->cap * 2 : 64;

		/* l points into the array: find it again after the move */
		tmp = realloc(vec->v, cap * sizeof(*vec->v));
		if (tmp == NULL)
			return -ENOMEM;
		vec->v = tmp;
		vec->cap = cap;
		l = vec->n > 0 ? &vec->v[vec->n - 1] : NULL;
	}
	c = &vec->v[vec->n];
	*c = *o;
	r |= obs_str(vec, o->profile != NULL ? o->profile : "",
	    l != NULL ? l->profile : NULL, &c->profile);
	r |= obs_str(vec, o->label, l != NULL ? l->label : NULL, &c->label);
	r |= obs_str(vec, o->container.runtime,
	    l != NULL ? l->container.runtime : NULL, &c->container.runtime);
	r |= obs_str(vec, o->container.id, l != NULL ? l->container.id : NULL,
	    &c->container.id);
	r |= obs_str(vec, o->container.pod_uid,
	    l != NULL ? l->container.pod_uid : NULL, &c->container.pod_uid);
	r |= obs_str(vec, o->sample_comm, l != NULL ? l->sample_comm : NULL,
	    &c->sample_comm);
	r |= obs_str(vec, o->sample_exe, l != NULL ? l->sample_exe : NULL,
	    &c->sample_exe);
	for (i = 0; i < ACCESS_NFIELDS; i++)
		r |= obs_str(vec, o->access.f[i] != NULL ? o->access.f[i] : "",
		    l != NULL ? l->access.f[i] : NULL, &c->access.f[i]);
	if (r != 0)
		return -ENOMEM;
	vec->last = c;
	vec->n++;
	return 0;
}

int
cli_obs_load(struct store *st, const char *profile, const char *container,
    struct observation **ret_obs, size_t *ret_n)
{
	struct obs_vec vec = { NULL, 0, 0, NULL, NULL };
	int r;

	r = store_list_observations(st, profile, container, obs_copy_cb, &vec);
	if (vec.v != NULL) {
		/* the slot past the last holds the chain (see OBS_CHUNK);
		 * a chunk is only made once the array is */
		memset(&vec.v[vec.n], 0, sizeof(vec.v[vec.n]));
		vec.v[vec.n].profile = (const char *)vec.chunk;
	}
	if (r < 0) {
		cli_obs_free(vec.v, vec.n);
		return r;
	}
	*ret_obs = vec.v;
	*ret_n = vec.n;
	return 0;
}

void
cli_obs_free(struct observation *obs, size_t n)
{
	struct obs_chunk *c, *prev;

	if (obs == NULL)
		return;
	for (c = (struct obs_chunk *)(uintptr_t)obs[n].profile; c != NULL;
	    c = prev) {
		prev = c->prev;
		free(c);
	}
	free(obs);
}

char *
cli_safe_dup(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out, *o;
	size_t n = 0;

	if (s == NULL)
		return strdup("");
	/* Worst case: every byte as \xHH, plus "...". */
	out = malloc(max * 4 + 8);
	if (out == NULL)
		return NULL;
	o = out;
	for (; *p != '\0'; p++, n++) {
		if (n >= max) {
			memcpy(o, "...", 3);
			o += 3;
			break;
		}
		if (*p < 0x20 || *p >= 0x7f || *p == '\\')
			o += sprintf(o, "\\x%02x", *p);
		else
			*o++ = (char)*p;
	}
	*o = '\0';
	return out;
}

static const char *
parse_error(int r)
{
	if (r == -EINVAL)
		return "unbalanced braces or an unterminated quote";
	if (r == -E2BIG)
		return "too large";
	return strerror(-r);
}

/* The profile's decisions, by rule id. */
struct dec_index {
	struct dec_entry {
		char	*rule_id;
		int	 decision;
	} *v;
	size_t	 n, cap;
	int	 err;
};

static int
dec_index_cb(const struct decision_info *d, void *arg)
{
	struct dec_index *x = arg;
	struct dec_entry *v;

	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 64;

		if ((v = realloc(x->v, cap * sizeof(*v))) == NULL) {
			x->err = -ENOMEM;
			return -ENOMEM;
		}
		x->v = v;
		x->cap = cap;
	}
	if ((x->v[x->n].rule_id = strdup(d->rule_id)) == NULL) {
		x->err = -ENOMEM;
		return -ENOMEM;
	}
	x->v[x->n++].decision = d->decision;
	return 0;
}

static int
cmp_dec_entry(const void *a, const void *b)
{
	return strcmp(((const struct dec_entry *)a)->rule_id,
	    ((const struct dec_entry *)b)->rule_id);
}

static void
dec_index_free(struct dec_index *x)
{
	for (size_t i = 0; i < x->n; i++)
		free(x->v[i].rule_id);
	free(x->v);
}

/* The proposals for c->policy and c->obs, rejected ones moved to the end. */
static int
ctx_propose(struct cli *cli, struct store *st, struct cli_ctx *c)
{
	struct propose_options opts;
	struct proposal tmp;
	struct dec_index dx = { 0 };
	size_t i, n, keep;
	int r, t;

	memset(&opts, 0, sizeof(opts));
	opts.loader = cli_loader;
	opts.loader_arg = cli;
	opts.now_ms = cli_now_ms();
	for (i = 0; i < c->nobs; i++)
		if (c->obs[i].container.id != NULL)
			opts.container = true;
	r = propose_rules(c->policy, c->obs, c->nobs, &opts, &c->props, &n);
	if (r < 0)
		return r;
	c->nprops = n;
	c->dec = calloc(n ? n : 1, sizeof(*c->dec));
	if (c->dec == NULL)
		return -ENOMEM;
	/*
	 * The profile's decisions read once, then looked up: a query per
	 * proposal (a read transaction each, with its file locks) was a
	 * sixth of a diff of 100,000 observations.
	 */
	r = store_list_decisions(st, c->profile, dec_index_cb, &dx);
	if (r < 0 || dx.err < 0) {
		dec_index_free(&dx);
		return dx.err < 0 ? dx.err : r;
	}
	if (dx.n > 1)
		qsort(dx.v, dx.n, sizeof(*dx.v), cmp_dec_entry);
	for (i = 0; i < n; i++) {
		struct dec_entry key = { .rule_id = (char *)c->props[i].id };
		const struct dec_entry *e = dx.n == 0 || key.rule_id == NULL ?
		    NULL : bsearch(&key, dx.v, dx.n, sizeof(*dx.v),
		    cmp_dec_entry);

		c->dec[i] = e != NULL ? e->decision : DECISION_NONE;
	}
	dec_index_free(&dx);
	/* Stable partition: shown first, rejected after. */
	keep = 0;
	for (i = 0; i < n; i++) {
		if (c->dec[i] == DECISION_REJECTED)
			continue;
		if (i != keep) {
			tmp = c->props[i];
			memmove(&c->props[keep + 1], &c->props[keep],
			    (i - keep) * sizeof(*c->props));
			c->props[keep] = tmp;
			t = c->dec[i];
			memmove(&c->dec[keep + 1], &c->dec[keep],
			    (i - keep) * sizeof(*c->dec));
			c->dec[keep] = t;
		}
		keep++;
	}
	c->nrejected = n - keep;
	c->nprops = keep;
	c->npending = c->nunsafe = 0;
	for (i = 0; i < keep; i++) {
		if (c->props[i].kind == PROPOSAL_NONE)
			c->nunsafe++;
		else if (c->dec[i] == DECISION_NONE)
			c->npending++;
	}
	return 0;
}

int
cli_ctx_load(struct cli *cli, struct store *st, const char *profile,
    int flags, struct cli_ctx *c)
{
	const char *local;
	int r;

	memset(c, 0, sizeof(*c));
	c->profile = profile;
	r = cli_profile_load(cli, profile, &c->path, &c->text);
	if (r < 0)
		return r;
	c->len = strlen(c->text);
	r = profile_parse(c->text, c->len, &c->pf);
	if (r < 0) {
		cli_error("cannot read %s: %s; fix it, or restore the last good "
		    "version with 'aalearn rollback %s'", c->path,
		    parse_error(r), profile);
		goto fail;
	}
	if (profile_find(c->pf, profile) == NULL) {
		cli_error("cannot find profile '%s' in %s; fix the file, or "
		    "'aalearn rollback %s'", profile, c->path, profile);
		r = -ENOENT;
		goto fail;
	}

	/* A packaged profile keeps local additions in its local/ include. */
	local = profile_local_include(c->pf, profile);
	if (local != NULL) {
		if (local[0] == '/' || strstr(local, "..") != NULL) {
			cli_error("%s includes %s, outside %s", c->path, local,
			    cli->profile_dir);
			r = -EINVAL;
			goto fail;
		}
		if ((c->block_include = strdup(local)) == NULL ||
		    asprintf(&c->block_path, "%s/%s", cli->profile_dir,
		    local) < 0) {
			c->block_path = NULL;
			r = -ENOMEM;
			goto fail;
		}
		r = cli_read_file(c->block_path, PROFILE_TEXT_MAX,
		    &c->block_text, &c->block_len);
		if (r == -ENOENT) {
			c->block_text = strdup("");
			c->block_len = 0;
			if (c->block_text == NULL) {
				r = -ENOMEM;
				goto fail;
			}
		} else if (r < 0) {
			cli_error("cannot read %s: %s", c->block_path,
			    strerror(-r));
			goto fail;
		} else {
			c->block_exists = true;
		}
	} else {
		c->block_path = strdup(c->path);
		c->block_text = strdup(c->text);
		c->block_len = c->len;
		c->block_exists = true;
		if (c->block_path == NULL || c->block_text == NULL) {
			r = -ENOMEM;
			goto fail;
		}
	}

	if ((flags & (CTX_POLICY | CTX_PROPOSE)) != 0) {
		r = policy_load(c->text, c->len, profile, cli_loader, cli,
		    &c->policy);
		if (r < 0) {
			if (r == -ENOENT)
				cli_error("%s: an include of profile '%s' is "
				    "missing from %s; install it there (copy "
				    "the host's abstractions and tunables) or "
				    "pass --profile-dir", c->path, profile,
				    cli->profile_dir);
			else if (r == -ELOOP)
				cli_error("%s: includes nest too deeply", c->path);
			else
				cli_error("cannot read the rules of %s: %s; fix "
				    "it, or 'aalearn rollback %s'", c->path,
				    parse_error(r), profile);
			goto fail;
		}
	}
	if ((flags & CTX_PROPOSE) != 0) {
		r = cli_obs_load(st, profile, NULL, &c->obs, &c->nobs);
		if (r < 0) {
			cli_error("%s: cannot read the observations of '%s': %s",
			    cli->db, profile, strerror(-r));
			goto fail;
		}
		r = ctx_propose(cli, st, c);
		if (r < 0) {
			cli_error("cannot make proposals for '%s': %s", profile,
			    strerror(-r));
			goto fail;
		}
	}
	return 0;
fail:
	cli_ctx_free(c);
	return r;
}

void
cli_ctx_free(struct cli_ctx *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->text);
	profile_file_free(c->pf);
	free(c->block_path);
	free(c->block_text);
	free(c->block_include);
	policy_free(c->policy);
	cli_obs_free(c->obs, c->nobs);
	/* Rejected proposals sit after the shown ones: free them all. */
	propose_free(c->props, c->nprops + c->nrejected);
	free(c->dec);
	memset(c, 0, sizeof(*c));
}

int
cli_pending_count(struct cli *cli, struct store *st, const char *profile,
    const char *text, size_t *ret_n)
{
	struct cli_ctx c;
	int r;

	memset(&c, 0, sizeof(c));
	c.profile = profile;
	r = policy_load(text, strlen(text), profile, cli_loader, cli,
	    &c.policy);
	if (r == 0)
		r = cli_obs_load(st, profile, NULL, &c.obs, &c.nobs);
	if (r == 0)
		r = ctx_propose(cli, st, &c);
	if (r == 0)
		*ret_n = c.npending;
	cli_ctx_free(&c);
	return r;
}

void
cli_ctx_write(const struct cli_ctx *c, const char *new_block_text,
    const char *reason, bool no_reload, struct cli_write *w)
{
	memset(w, 0, sizeof(*w));
	w->profile = c->profile;
	w->path = c->block_path;
	w->text = new_block_text;
	w->reason = reason;
	w->no_reload = no_reload;
	w->base_text = c->block_text;
	if (c->block_include != NULL) {
		w->check_main = c->path;
		w->include_name = c->block_include;
	}
}
