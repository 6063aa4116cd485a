/*
 * review.c - `aalearn diff PROFILE`: the profile file as it would be with
 * every pending proposal accepted, as a unified diff (our own, no diff(1))
 * whose added rules carry their evidence as comments; and `aalearn review
 * PROFILE`: accept, reject or edit each proposal, on a terminal one screen
 * at a time, or with --accept-all, --accept ID..., --reject ID....
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "cli_profile.h"

#define C_RED	"\033[31m"
#define C_GREEN	"\033[32m"
#define C_CYAN	"\033[36m"
#define C_BOLD	"\033[1m"
#define C_OFF	"\033[0m"

/* Lines longer than this in a comment are cut: evidence, not the rule. */
#define NOTE_MAX 200
/* Absorbed names listed in a comment or on a screen. */
#define PATHS_SHOWN 8
/* Lines of what a rule grants beyond its evidence, in a diff comment. */
#define BEYOND_SHOWN 12

/* ---------------------------------------------------------------- lines */

struct lines {
	const char **s;		/* start of each line */
	size_t	*len;		/* without the newline */
	size_t	 n;
};

static int
lines_split(const char *text, struct lines *l)
{
	const char *p = text, *nl;
	size_t cap = 0;
	void *tmp;

	memset(l, 0, sizeof(*l));
	while (*p != '\0') {
		if (l->n == cap) {
			cap = cap ? cap * 2 : 256;
			if ((tmp = realloc(l->s, cap * sizeof(*l->s))) == NULL)
				goto nomem;
			l->s = tmp;
			if ((tmp = realloc(l->len, cap * sizeof(*l->len))) == NULL)
				goto nomem;
			l->len = tmp;
		}
		nl = strchr(p, '\n');
		l->s[l->n] = p;
		l->len[l->n] = nl != NULL ? (size_t)(nl - p) : strlen(p);
		l->n++;
		p = nl != NULL ? nl + 1 : p + strlen(p);
	}
	return 0;
nomem:
	free(l->s);
	free(l->len);
	memset(l, 0, sizeof(*l));
	return -ENOMEM;
}

static void
lines_free(struct lines *l)
{
	free(l->s);
	free(l->len);
}

static bool
line_eq(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
	return a->len[i] == b->len[j] &&
	    memcmp(a->s[i], b->s[j], a->len[i]) == 0;
}

/* A line of a file for a terminal: control bytes but tab as \xHH. */
static void
put_line(FILE *f, const char *s, size_t len)
{
	size_t i, run = 0;
	unsigned bad = 0;

	/* Runs of plain bytes in one write: a diff of 100,000 observations
	 * is megabytes, and a locked fputc per byte showed.  Most lines have
	 * nothing to escape: one pass to know, then one write. */
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		bad |= (unsigned)(ch < 0x20 && ch != '\t') | (ch == 0x7f);
	}
	if (!bad) {
		fwrite(s, 1, len, f);
		return;
	}
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			fwrite(s + run, 1, i - run, f);
			fprintf(f, "\\x%02x", ch);
			run = i + 1;
		}
	}
	fwrite(s + run, 1, len - run, f);
}

/* ----------------------------------------------------------------- diff */

enum { OP_SAME = ' ', OP_DEL = '-', OP_ADD = '+' };

struct edit {
	char	 op;
	size_t	 a, b;		/* line indexes in a (SAME, DEL), b (SAME, ADD) */
};

/* Past this many cells the middle is shown as removed then added. */
#define LCS_MAX_CELLS (16u << 20)

/*
 * The edit script from a to b: the common head and tail are trimmed, the
 * middle goes through a longest-common-subsequence table.  Profiles are
 * small and the changes sit in one block, so this stays cheap.
 */
static int
diff_lines(const struct lines *a, const struct lines *b, struct edit **ret,
    size_t *ret_n)
{
	size_t pre = 0, suf = 0, n, m, i, j, k = 0, w;
	uint32_t *t = NULL;
	struct edit *e;

	while (pre < a->n && pre < b->n && line_eq(a, pre, b, pre))
		pre++;
	while (suf < a->n - pre && suf < b->n - pre &&
	    line_eq(a, a->n - 1 - suf, b, b->n - 1 - suf))
		suf++;
	n = a->n - pre - suf;
	m = b->n - pre - suf;
	e = malloc((a->n + b->n + 1) * sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	for (i = 0; i < pre; i++)
		e[k++] = (struct edit){ OP_SAME, i, i };
	w = m + 1;
	if (n > 0 && m > 0 && (n + 1) * w <= LCS_MAX_CELLS)
		t = calloc((n + 1) * w, sizeof(*t));
	if (t != NULL) {
		/* t[i][j]: LCS of a[pre+i..] and b[pre+j..]. */
		for (i = n; i-- > 0;)
			for (j = m; j-- > 0;)
				t[i * w + j] = line_eq(a, pre + i, b, pre + j) ?
				    t[(i + 1) * w + j + 1] + 1 :
				    (t[(i + 1) * w + j] >= t[i * w + j + 1] ?
				    t[(i + 1) * w + j] : t[i * w + j + 1]);
		i = j = 0;
		while (i < n || j < m) {
			if (i < n && j < m && line_eq(a, pre + i, b, pre + j)) {
				e[k++] = (struct edit){ OP_SAME, pre + i, pre + j };
				i++;
				j++;
			} else if (j < m && (i == n ||
			    t[i * w + j + 1] >= t[(i + 1) * w + j])) {
				e[k++] = (struct edit){ OP_ADD, pre + i, pre + j };
				j++;
			} else {
				e[k++] = (struct edit){ OP_DEL, pre + i, pre + j };
				i++;
			}
		}
		free(t);
	} else {
		for (i = 0; i < n; i++)
			e[k++] = (struct edit){ OP_DEL, pre + i, pre };
		for (j = 0; j < m; j++)
			e[k++] = (struct edit){ OP_ADD, pre + n, pre + j };
	}
	for (i = 0; i < suf; i++)
		e[k++] = (struct edit){ OP_SAME, a->n - suf + i, b->n - suf + i };
	*ret = e;
	*ret_n = k;
	return 0;
}

#define CONTEXT 3

/* Print a unified diff; returns the number of changed lines. */
static size_t
diff_print(FILE *f, const char *path_a, const char *path_b,
    const struct lines *a, const struct lines *b, const struct edit *e,
    size_t n, bool color)
{
	size_t i, j, start, end, changes = 0, as, bs, al, bl, last;
	const char *c;

	for (i = 0; i < n; i++)
		if (e[i].op != OP_SAME)
			changes++;
	if (changes == 0)
		return 0;
	fprintf(f, "%s--- %s%s\n%s+++ %s%s\n", color ? C_BOLD : "", path_a,
	    color ? C_OFF : "", color ? C_BOLD : "", path_b, color ? C_OFF : "");
	i = 0;
	while (i < n) {
		while (i < n && e[i].op == OP_SAME)
			i++;
		if (i == n)
			break;
		/* A hunk: back CONTEXT lines, then on until CONTEXT*2 same. */
		start = i > CONTEXT ? i - CONTEXT : 0;
		last = i;
		for (j = i; j < n; j++) {
			if (e[j].op != OP_SAME)
				last = j;
			else if (j - last > 2 * CONTEXT)
				break;
		}
		end = last + CONTEXT + 1 < n ? last + CONTEXT + 1 : n;
		as = bs = 0;
		al = bl = 0;
		as = e[start].a;
		bs = e[start].b;
		for (j = start; j < end; j++) {
			if (e[j].op != OP_ADD)
				al++;
			if (e[j].op != OP_DEL)
				bl++;
		}
		fprintf(f, "%s@@ -%zu,%zu +%zu,%zu @@%s\n", color ? C_CYAN : "",
		    al > 0 ? as + 1 : as, al, bl > 0 ? bs + 1 : bs, bl,
		    color ? C_OFF : "");
		for (j = start; j < end; j++) {
			c = "";
			if (color && e[j].op == OP_DEL)
				c = C_RED;
			else if (color && e[j].op == OP_ADD)
				c = C_GREEN;
			fputs(c, f);
			fputc(e[j].op, f);
			if (e[j].op == OP_ADD)
				put_line(f, b->s[e[j].b], b->len[e[j].b]);
			else
				put_line(f, a->s[e[j].a], a->len[e[j].a]);
			if (*c != '\0')
				fputs(C_OFF, f);
			fputc('\n', f);
		}
		i = end;
	}
	return changes;
}

/* ------------------------------------------------------------ evidence */

struct sbuf {
	char	*s;
	size_t	 len, cap;
	int	 err;
};

static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
	char *tmp;
	size_t cap;

	if (b->err)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((tmp = realloc(b->s, cap)) == NULL) {
			b->err = -ENOMEM;
			return;
		}
		b->s = tmp;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/*
 * sb_str of a name from a record: control bytes, backslash as \xHH, cut
 * after NOTE_MAX bytes with "...", as cli_safe_dup() writes it.  Written
 * in place: a copy per name was tens of thousands of allocations in the
 * diff of a big profile.
 */
static void
sb_safe(struct sbuf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, run = 0;
	char hex[8];

	if (s == NULL)
		return;
	for (n = 0; p[n] != '\0'; n++) {
		if (n >= NOTE_MAX) {
			sb_add(b, s + run, n - run);
			sb_add(b, "...", 3);
			return;
		}
		if (p[n] < 0x20 || p[n] >= 0x7f || p[n] == '\\') {
			sb_add(b, s + run, n - run);
			snprintf(hex, sizeof(hex), "\\x%02x", p[n]);
			sb_add(b, hex, 4);
			run = n + 1;
		}
	}
	sb_add(b, s + run, n - run);
}

/* Decisions with the rule text as decided (an edited glob). */
struct dec_list {
	char	**ids, **rules;
	size_t	 n, cap;
};

static int
dec_cb(const struct decision_info *d, void *arg)
{
	struct dec_list *l = arg;
	void *tmp;

	if (d->decision != DECISION_ACCEPTED || d->applied)
		return 0;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		if ((tmp = realloc(l->ids, l->cap * sizeof(char *))) == NULL)
			return -ENOMEM;
		l->ids = tmp;
		if ((tmp = realloc(l->rules, l->cap * sizeof(char *))) == NULL)
			return -ENOMEM;
		l->rules = tmp;
	}
	l->ids[l->n] = strdup(d->rule_id != NULL ? d->rule_id : "");
	l->rules[l->n] = strdup(d->rule != NULL ? d->rule : "");
	if (l->ids[l->n] == NULL || l->rules[l->n] == NULL) {
		free(l->ids[l->n]);
		free(l->rules[l->n]);
		return -ENOMEM;
	}
	l->n++;
	return 0;
}

static void
dec_list_free(struct dec_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->ids[i]);
		free(l->rules[i]);
	}
	free(l->ids);
	free(l->rules);
}

/* The rule a proposal stands for: an accepted edit, else its text. */
static const char *
prop_rule(const struct cli_ctx *c, const struct dec_list *d, size_t i)
{
	size_t k;

	for (k = 0; k < d->n; k++)
		if (strcmp(d->ids[k], c->props[i].id) == 0)
			return d->rules[k];
	return c->props[i].text;
}

static const char *
dec_name(int d)
{
	return d == DECISION_ACCEPTED ? "accepted" :
	    d == DECISION_REJECTED ? "rejected" : "pending";
}

/*
 * cli_time() of the last few seconds asked: the proposals of one diff
 * mostly share their first and last times, and formatting a time twice
 * per proposal showed in the diff of a big profile.
 */
struct time_cache {
	int64_t	 key[2];	/* the second, or -1 for "never" */
	bool	 set[2];
	char	 text[2][64];
	int	 next;
};

static const char *
time_cached(struct time_cache *tc, int64_t ms)
{
	int64_t key = ms <= 0 ? -1 : ms / 1000;
	int k;

	for (k = 0; k < 2; k++)
		if (tc->set[k] && tc->key[k] == key)
			return tc->text[k];
	k = tc->next;
	tc->next = !k;
	cli_time(ms, tc->text[k], sizeof(tc->text[k]));
	tc->key[k] = key;
	tc->set[k] = true;
	return tc->text[k];
}

/* The evidence of proposal i as comment lines, each with indent. */
static void
evidence_comment(struct sbuf *b, const struct cli_ctx *c, size_t i,
    const char *indent, size_t ilen, struct time_cache *tc)
{
	const struct proposal *p = &c->props[i];
	char t1[64], num[128];
	const char *s, *nl, *last;
	size_t k, n;

	sb_add(b, indent, ilen);
	/* one at a time: the second may reuse the first one's slot */
	snprintf(t1, sizeof(t1), "%s", time_cached(tc, p->first_ms));
	last = time_cached(tc, p->last_ms);
	if (snprintf(num, sizeof(num), "# aalearn %s (%s): %llu allowed, "
	    "%llu denied, first %s, last %s", p->id, dec_name(c->dec[i]),
	    (unsigned long long)p->allowed, (unsigned long long)p->denied,
	    t1, last) < 0)
		num[0] = '\0';
	/* (a line longer than num, with counts of 15 digits and more, is
	 * cut there, as it always was) */
	sb_str(b, num);
	sb_str(b, "\n");
	if (p->reason != NULL && p->reason[0] != '\0') {
		sb_add(b, indent, ilen);
		sb_str(b, "#   ");
		sb_safe(b, p->reason);
		sb_str(b, "\n");
	}
	for (k = 0; k < p->npaths && k < PATHS_SHOWN; k++) {
		sb_add(b, indent, ilen);
		sb_str(b, k == 0 ? "#   seen: " : "#         ");
		sb_safe(b, p->paths[k]);
		sb_str(b, "\n");
	}
	if (p->npaths > PATHS_SHOWN) {
		snprintf(num, sizeof(num), "#         and %zu more\n",
		    p->npaths - PATHS_SHOWN);
		sb_add(b, indent, ilen);
		sb_str(b, num);
	}
	/* What the rule grants beyond the evidence, one item a line. */
	for (s = p->beyond, k = 0; s != NULL && *s != '\0'; s = nl, k++) {
		char *item;

		if (k == BEYOND_SHOWN) {
			for (n = 0; *s != '\0'; s++)
				n += *s == '\n';
			snprintf(num, sizeof(num), "#   and %zu more lines (see "
			    "'aalearn review --json')\n", n + 1);
			sb_add(b, indent, ilen);
			sb_str(b, num);
			break;
		}
		nl = strchr(s, '\n');
		item = strndup(s, nl != NULL ? (size_t)(nl - s) : strlen(s));
		nl = nl != NULL ? nl + 1 : s + strlen(s);
		if (item == NULL) {
			b->err = -ENOMEM;
			return;
		}
		if (*item != '\0') {
			sb_add(b, indent, ilen);
			sb_str(b, "#   also grants: ");
			sb_safe(b, item);
			sb_str(b, "\n");
		}
		free(item);
	}
}

/* A line without the blanks around it, as a rule is compared with it. */
static void
line_trim(const char **s, size_t *len)
{
	while (*len > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t' ||
	    (*s)[*len - 1] == '\r'))
		(*len)--;
}

/* A rule's length without its trailing blanks and newline. */
static size_t
rule_trim_len(const char *rule)
{
	size_t rl = strlen(rule);

	while (rl > 0 && (rule[rl - 1] == ' ' || rule[rl - 1] == '\n'))
		rl--;
	return rl;
}

/*
 * The added rules by text, to find the one a line of the new file is.
 * Why a table: each line used to be compared with every rule, which for
 * the ~9,000 rules of a 100,000-observation diff was tens of millions of
 * comparisons.  A group holds the rules of one text in ascending order
 * (head is the first not yet given a line); known: the block had that
 * rule already, so it gets no comment.
 */
struct rule_group {
	const char *text;
	size_t	 len;
	size_t	 head;		/* a rule index, or SIZE_MAX: none left */
	bool	 known;
};

struct rule_table {
	struct rule_group *g;
	size_t	*slot;		/* group index + 1, 0: empty */
	size_t	*next;		/* next rule of the same text, or SIZE_MAX */
	size_t	 ng, mask;
};

static size_t
rule_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return (size_t)h;
}

/* The group of text s[0..n), or NULL. */
static struct rule_group *
rule_find(const struct rule_table *t, const char *s, size_t n)
{
	for (size_t h = rule_hash(s, n) & t->mask; t->slot[h] != 0;
	    h = (h + 1) & t->mask) {
		struct rule_group *g = &t->g[t->slot[h] - 1];

		if (g->len == n && memcmp(g->text, s, n) == 0)
			return g;
	}
	return NULL;
}

static int
rule_table_init(struct rule_table *t, const char **rules, size_t nr)
{
	size_t cap = 16, *tail;

	memset(t, 0, sizeof(*t));
	while (cap < 2 * nr)
		cap *= 2;
	t->mask = cap - 1;
	t->slot = calloc(cap, sizeof(*t->slot));
	t->g = calloc(nr + 1, sizeof(*t->g));
	t->next = calloc(nr + 1, sizeof(*t->next));
	tail = calloc(nr + 1, sizeof(*tail));
	if (t->slot == NULL || t->g == NULL || t->next == NULL ||
	    tail == NULL) {
		free(tail);
		return -ENOMEM;
	}
	for (size_t k = 0; k < nr; k++) {
		size_t rl, h;
		struct rule_group *g;

		t->next[k] = SIZE_MAX;
		if (rules[k] == NULL)
			continue;
		rl = rule_trim_len(rules[k]);
		if ((g = rule_find(t, rules[k], rl)) != NULL) {
			size_t gi = (size_t)(g - t->g);

			t->next[tail[gi]] = k;
			tail[gi] = k;
			continue;
		}
		for (h = rule_hash(rules[k], rl) & t->mask; t->slot[h] != 0;
		    h = (h + 1) & t->mask)
			;
		t->g[t->ng] = (struct rule_group){ rules[k], rl, k, false };
		tail[t->ng] = k;
		t->slot[h] = ++t->ng;
	}
	free(tail);
	return 0;
}

static void
rule_table_free(struct rule_table *t)
{
	free(t->g);
	free(t->slot);
	free(t->next);
}

/*
 * The block's file with every pending (and accepted, not applied) rule
 * added, each preceded by its evidence as comments: what `diff` shows.
 */
static int
would_be(struct cli *cli, struct store *st, const struct cli_ctx *c,
    char **ret_text, size_t *ret_rules)
{
	struct dec_list d = { 0 };
	struct lines nl;
	struct sbuf out = { 0 };
	struct rule_table rt = { 0 };
	struct time_cache tc = { { 0, 0 }, { false, false }, { "", "" }, 0 };
	const char **rules = NULL;
	size_t *which = NULL, nr = 0, i, k, ilen;
	char *text = NULL, **old = NULL;
	size_t len;
	int r;

	r = store_list_decisions(st, c->profile, dec_cb, &d);
	if (r < 0) {
		cli_error("%s: cannot read the decisions for '%s': %s", cli->db,
		    c->profile, strerror(-r));
		return r;
	}
	rules = calloc(c->nprops + 1, sizeof(*rules));
	which = calloc(c->nprops + 1, sizeof(*which));
	if (rules == NULL || which == NULL) {
		r = -ENOMEM;
		goto out;
	}
	for (i = 0; i < c->nprops; i++) {
		if (c->props[i].kind == PROPOSAL_NONE ||
		    c->dec[i] == DECISION_REJECTED)
			continue;
		which[nr] = i;
		rules[nr++] = prop_rule(c, &d, i);
	}
	r = profile_add_rules(c->block_text, c->block_len,
	    c->block_include != NULL ? NULL : c->profile, rules, nr, &text,
	    &len);
	if (r == -EBADMSG) {
		/* the text leaves a statement open where the block goes */
		cli_error("cannot add the proposed rules to %s: %s lacks its "
		    "',' (apparmor_parser refuses the file as it is): add the "
		    "',' and run this again", c->block_path,
		    c->block_include != NULL ? "its last rule" :
		    "the rule before the profile's closing brace");
		goto out;
	}
	if (r < 0) {
		cli_error("cannot add the proposed rules to %s: %s",
		    c->block_path, strerror(-r));
		goto out;
	}
	/* Rules in the block already are not new: no comment for them. */
	r = profile_block_rules(c->block_text, c->block_len,
	    c->block_include != NULL ? NULL : c->profile, &old);
	if (r < 0 && r != -ENOENT)
		goto out;
	r = lines_split(text, &nl);
	if (r < 0)
		goto out;
	if ((r = rule_table_init(&rt, rules, nr)) < 0) {
		lines_free(&nl);
		goto out;
	}
	for (size_t o = 0; old != NULL && old[o] != NULL; o++) {
		const char *s = old[o];
		size_t n = strlen(s);
		struct rule_group *g;

		line_trim(&s, &n);
		if ((g = rule_find(&rt, s, n)) != NULL)
			g->known = true;
	}
	/* Each line that is an added rule (not in the block already) gets
	 * the evidence of the first rule of its text not given a line yet. */
	for (i = 0; i < nl.n; i++) {
		const char *s = nl.s[i];
		size_t n = nl.len[i];
		struct rule_group *g;

		line_trim(&s, &n);
		g = rule_find(&rt, s, n);
		if (g != NULL && !g->known && g->head != SIZE_MAX) {
			k = g->head;
			g->head = rt.next[k];
			for (ilen = 0; ilen < nl.len[i] && (nl.s[i][ilen] == ' ' ||
			    nl.s[i][ilen] == '\t'); ilen++)
				;
			evidence_comment(&out, c, which[k], nl.s[i], ilen,
			    &tc);
		}
		sb_add(&out, nl.s[i], nl.len[i]);
		if (nl.s[i][nl.len[i]] == '\n')
			sb_str(&out, "\n");
	}
	lines_free(&nl);
	if (out.err) {
		r = out.err;
		goto out;
	}
	if (out.s == NULL && (out.s = strdup("")) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	*ret_text = out.s;
	out.s = NULL;
	*ret_rules = nr;
	r = 0;
out:
	profile_strv_free(old);
	free(out.s);
	free(text);
	free(rules);
	free(which);
	rule_table_free(&rt);
	dec_list_free(&d);
	return r;
}

static void
prop_json(FILE *f, const struct cli_ctx *c, const struct dec_list *d, size_t i)
{
	const struct proposal *p = &c->props[i];
	char t[64];
	size_t k;

	fputs("{\"id\":", f);
	json_string(f, p->id);
	fputs(",\"kind\":", f);
	json_string(f, p->kind == PROPOSAL_RULE ? "rule" :
	    p->kind == PROPOSAL_INCLUDE ? "include" : "none");
	fputs(",\"class\":", f);
	json_string(f, access_class_name(p->cls));
	fputs(",\"rule\":", f);
	json_string(f, p->kind == PROPOSAL_NONE ? NULL : prop_rule(c, d, i));
	fputs(",\"proposed\":", f);
	json_string(f, p->text);
	fputs(",\"decision\":", f);
	json_string(f, dec_name(c->dec[i]));
	fputs(",\"reason\":", f);
	json_string(f, p->reason);
	fputs(",\"beyond\":", f);
	json_string(f, p->beyond);
	fprintf(f, ",\"generalised\":%s,\"allowed\":%llu,\"denied\":%llu,"
	    "\"evidence\":%zu,\"first_ms\":%lld,\"last_ms\":%lld,\"first\":",
	    p->generalised ? "true" : "false", (unsigned long long)p->allowed,
	    (unsigned long long)p->denied, p->nevidence,
	    (long long)p->first_ms, (long long)p->last_ms);
	json_string(f, cli_time_iso(p->first_ms, t, sizeof(t)));
	fputs(",\"last\":", f);
	json_string(f, cli_time_iso(p->last_ms, t, sizeof(t)));
	fputs(",\"paths\":[", f);
	for (k = 0; k < p->npaths; k++) {
		if (k > 0)
			fputc(',', f);
		json_string(f, p->paths[k]);
	}
	fputs("]}", f);
}

static int
one_arg(const char *cmd, int argc, char **argv, const char **ret)
{
	if (argc < 2)
		return cli_usage_error(cmd, "%s: which profile?", cmd);
	if (argv[1][0] == '-')
		return cli_usage_error(cmd, "%s: unknown option '%s'", cmd,
		    argv[1]);
	if (argc > 2)
		return cli_usage_error(cmd, "%s: unexpected argument '%s'", cmd,
		    argv[2]);
	if (!cli_name_ok(argv[1]))
		return cli_usage_error(cmd, "%s: not a profile name", cmd);
	*ret = argv[1];
	return 0;
}

int
cmd_diff(struct cli *cli, int argc, char **argv)
{
	struct dec_list d = { 0 };
	struct lines a = { 0 }, b = { 0 };
	struct edit *e = NULL;
	struct cli_ctx c;
	struct store *st;
	const char *profile = NULL;
	char *text = NULL, *pa = NULL, *pb = NULL;
	size_t ne = 0, nrules = 0, changes = 0, i;
	int ret = EXIT_ERROR;
	FILE *mem;
	char *buf = NULL;
	size_t buflen = 0;

	if (one_arg("diff", argc, argv, &profile) != 0)
		return EXIT_ERROR;
#if defined(__GLIBC__) && defined(M_MMAP_THRESHOLD)
	/*
	 * Keep what a step frees for the next one: the steps of a big diff
	 * each allocate and free megabytes, which glibc would map and unmap
	 * each time, and faulting fresh pages in again cost 6% of a
	 * 100,000-observation diff.  A short-lived command: nothing is lost
	 * by not giving memory back before exit.
	 */
	mallopt(M_MMAP_THRESHOLD, 256 << 20);
	mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
	if ((st = cli_open_store(cli, STORE_READONLY)) == NULL)
		return EXIT_ERROR;
	if (cli_ctx_load(cli, st, profile, CTX_PROPOSE, &c) < 0) {
		store_close(st);
		return EXIT_ERROR;
	}
	if (would_be(cli, st, &c, &text, &nrules) < 0)
		goto out;
	if (lines_split(c.block_text, &a) < 0 || lines_split(text, &b) < 0 ||
	    diff_lines(&a, &b, &e, &ne) < 0) {
		cli_error("out of memory");
		goto out;
	}
	if (asprintf(&pa, "a%s%s", c.block_path[0] == '/' ? "" : "/",
	    c.block_path) < 0 || asprintf(&pb, "b%s%s", c.block_path[0] == '/' ?
	    "" : "/", c.block_path) < 0)
		goto out;
	if (store_list_decisions(st, profile, dec_cb, &d) < 0)
		goto out;

	if (cli->json) {
		mem = open_memstream(&buf, &buflen);
		if (mem == NULL)
			goto out;
		changes = diff_print(mem, c.block_exists ? pa : "/dev/null", pb,
		    &a, &b, e, ne, false);
		fclose(mem);
		fputs("{\"profile\":", stdout);
		json_string(stdout, profile);
		fputs(",\"file\":", stdout);
		json_string(stdout, c.block_path);
		printf(",\"changes\":%s,\"rules\":%zu,\"diff\":",
		    changes > 0 ? "true" : "false", nrules);
		json_string(stdout, buf != NULL ? buf : "");
		fputs(",\"proposals\":[", stdout);
		for (i = 0; i < c.nprops; i++) {
			if (i > 0)
				putchar(',');
			prop_json(stdout, &c, &d, i);
		}
		printf("],\"rejected\":%zu}\n", c.nrejected);
	} else {
		changes = diff_print(stdout, c.block_exists ? pa : "/dev/null",
		    pb, &a, &b, e, ne, cli->color);
		for (i = 0; i < c.nprops; i++) {
			if (c.props[i].kind != PROPOSAL_NONE)
				continue;
			fprintf(stderr, "# %s: no safe rule for %s",
			    c.props[i].id, access_class_name(c.props[i].cls));
			if (c.props[i].nevidence > 0 &&
			    c.props[i].evidence[0] < c.nobs) {
				fputc(' ', stderr);
				cli_field(stderr,
				    c.obs[c.props[i].evidence[0]].access.f[0]);
			}
			fputs(": ", stderr);
			text_safe(stderr, c.props[i].reason != NULL ?
			    c.props[i].reason : "(no reason given)");
			fputc('\n', stderr);
		}
	}
	ret = changes > 0 ? EXIT_FOUND : EXIT_OK;
out:
	free(buf);
	free(pa);
	free(pb);
	free(e);
	lines_free(&a);
	lines_free(&b);
	free(text);
	dec_list_free(&d);
	cli_ctx_free(&c);
	store_close(st);
	return ret;
}

/* --------------------------------------------------------------- review */

static int
decide(struct cli *cli, struct store *st, const struct cli_ctx *c, size_t i,
    int decision, const char *rule, const char *note)
{
	struct decision_info di;
	int r;

	memset(&di, 0, sizeof(di));
	di.profile = c->profile;
	di.rule_id = c->props[i].id;
	/* A proposal without a rule is decided (rejected) as "". */
	di.rule = rule != NULL ? rule : c->props[i].text != NULL ?
	    c->props[i].text : "";
	di.decision = decision;
	di.decided_ms = cli_now_ms();
	di.note = note;
	r = store_put_decision(st, &di);
	if (r < 0)
		cli_error("%s: cannot store the decision on %s: %s", cli->db,
		    c->props[i].id, strerror(-r));
	return r;
}

/* The proposal an ID (or a unique prefix of at least 4 digits) names. */
static long
find_prop(const struct cli_ctx *c, const char *id)
{
	size_t i, l = strlen(id);
	long found = -1;

	for (i = 0; i < c->nprops; i++) {
		if (strcmp(c->props[i].id, id) == 0)
			return (long)i;
		if (l >= 4 && strncmp(c->props[i].id, id, l) == 0) {
			if (found >= 0)
				return -2;
			found = (long)i;
		}
	}
	return found;
}

/*
 * An edited rule must still allow every access of the evidence: the
 * edit may narrow a glob's shape, never drop what was seen.  Nor may it
 * open one of these, unless the evidence itself holds it.
 */
static const char *const sensitive[] = {
	"/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/root/.ssh/id_rsa",
	"/home/user/.ssh/id_rsa", "/proc/sys/kernel/core_pattern",
	"/proc/sysrq-trigger", "/proc/kcore",
	"/sys/kernel/security/apparmor/.replace",
	"/var/run/docker.sock", "/run/docker.sock",
	"/run/containerd/containerd.sock", "/run/secrets/token",
	"/var/run/secrets/kubernetes.io/serviceaccount/token",
	"/boot/vmlinuz", "/dev/mem", "/etc/apparmor.d/web",
};

static int
edit_covers(struct cli *cli, const struct cli_ctx *c, size_t i,
    const char *rule, const char **ret_missing)
{
	struct policy *p;
	const struct proposal *pr = &c->props[i];
	size_t k;
	int r;

	if (strchr(rule, '\n') != NULL || rule[0] == '\0' ||
	    rule[strlen(rule) - 1] != ',')
		return -EINVAL;
	if ((p = policy_new()) == NULL)
		return -ENOMEM;
	r = policy_add_rule(p, rule, cli_loader, cli);
	for (k = 0; r == 0 && k < pr->nevidence; k++) {
		if (pr->evidence[k] >= c->nobs)
			continue;
		if (!policy_allows(p, &c->obs[pr->evidence[k]].access)) {
			*ret_missing = c->obs[pr->evidence[k]].access.f[0];
			r = -ENOENT;
		}
	}
	/* Files no workload of ours should reach unless it was seen to. */
	for (k = 0; r == 0 && k < sizeof(sensitive) / sizeof(sensitive[0]);
	    k++) {
		struct access a;
		size_t e;
		bool seen = false;
		int f;

		memset(&a, 0, sizeof(a));
		a.cls = ACCESS_FILE;
		for (f = 0; f < ACCESS_NFIELDS; f++)
			a.f[f] = "";
		a.f[0] = sensitive[k];
		a.mask = MASK_READ;
		for (e = 0; e < pr->nevidence; e++)
			if (pr->evidence[e] < c->nobs && strcmp(c->obs[
			    pr->evidence[e]].access.f[0], sensitive[k]) == 0)
				seen = true;
		if (!seen && policy_allowed(p, &a) != 0) {
			*ret_missing = sensitive[k];
			r = -EPERM;
		}
	}
	policy_free(p);
	return r;
}

static void
screen(FILE *f, const struct cli_ctx *c, size_t i, size_t nth, size_t total,
    bool color)
{
	const struct proposal *p = &c->props[i];
	char t1[64], t2[64];
	const char *s, *nl;
	size_t k;

	fprintf(f, "\n%s[%zu/%zu] %s  %s%s\n", color ? C_BOLD : "", nth, total,
	    p->id, access_class_name(p->cls), color ? C_OFF : "");
	if (p->kind == PROPOSAL_NONE) {
		fputs("  rule:     none is safe: in enforce mode this is denied\n",
		    f);
	} else {
		fprintf(f, "  rule:     %s", color ? C_GREEN : "");
		text_safe(f, p->text);
		fprintf(f, "%s\n", color ? C_OFF : "");
	}
	if (p->reason != NULL && p->reason[0] != '\0') {
		fputs("  why:      ", f);
		text_safe(f, p->reason);
		fputc('\n', f);
	}
	fprintf(f, "  evidence: %llu allowed, %llu denied; first %s, last %s\n",
	    (unsigned long long)p->allowed, (unsigned long long)p->denied,
	    cli_time(p->first_ms, t1, sizeof(t1)),
	    cli_time(p->last_ms, t2, sizeof(t2)));
	for (k = 0; k < p->npaths && k < PATHS_SHOWN; k++) {
		fputs(k == 0 ? "  absorbs:  " : "            ", f);
		cli_field(f, p->paths[k]);
		fputc('\n', f);
	}
	if (p->npaths > PATHS_SHOWN)
		fprintf(f, "            and %zu more\n", p->npaths - PATHS_SHOWN);
	for (s = p->beyond, k = 0; s != NULL && *s != '\0'; s = nl, k++) {
		if (k == 2 * BEYOND_SHOWN) {
			fputs("  beyond:   (more in 'aalearn review --json')\n", f);
			break;
		}
		nl = strchr(s, '\n');
		fputs("  beyond:   ", f);
		if (nl == NULL) {
			text_safe(f, s);
			fputc('\n', f);
			break;
		}
		{
			char *item = strndup(s, (size_t)(nl - s));

			if (item != NULL)
				text_safe(f, item);
			free(item);
		}
		fputc('\n', f);
		nl++;
	}
}

/* One line from the terminal, without its newline; NULL at EOF. */
static char *
ask(const char *prompt)
{
	static char line[RULE_LINE_MAX];
	size_t l;

	fputs(prompt, stdout);
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return NULL;
	l = strlen(line);
	if (l > 0 && line[l - 1] == '\n')
		line[--l] = '\0';
	return line;
}

static int
review_tty(struct cli *cli, struct store *st, struct cli_ctx *c)
{
	size_t i, nth = 0, acc = 0, rej = 0, skip = 0;
	const char *missing;
	char *ans, *rule;
	int r;

	if (c->npending + c->nunsafe == 0) {
		printf("nothing to review for '%s'\n", c->profile);
		return EXIT_OK;
	}
	for (i = 0; i < c->nprops; i++) {
		if (c->dec[i] != DECISION_NONE)
			continue;
		screen(stdout, c, i, ++nth, c->npending + c->nunsafe,
		    cli->color);
again:
		/* No rule to accept: rejecting acknowledges the denial. */
		ans = ask(c->props[i].kind == PROPOSAL_NONE ?
		    "reject (acknowledge) [r], skip [s], quit [q]? " :
		    "accept [a], reject [r], edit [e], skip [s], quit [q]? ");
		if (ans == NULL || ans[0] == 'q')
			break;
		if (c->props[i].kind == PROPOSAL_NONE &&
		    (ans[0] == 'a' || ans[0] == 'e'))
			goto again;
		switch (ans[0]) {
		case 'a':
			if (decide(cli, st, c, i, DECISION_ACCEPTED, NULL, NULL) < 0)
				return EXIT_ERROR;
			acc++;
			break;
		case 'r':
			if (decide(cli, st, c, i, DECISION_REJECTED, NULL, NULL) < 0)
				return EXIT_ERROR;
			rej++;
			break;
		case 'e':
			ans = ask("rule (one line, ending in ','): ");
			if (ans == NULL)
				goto done;
			if ((rule = strdup(ans)) == NULL)
				return EXIT_ERROR;
			missing = NULL;
			r = edit_covers(cli, c, i, rule, &missing);
			if (r == -EINVAL)
				printf("not a rule: one line ending in ','\n");
			else if (r == -ENOENT) {
				printf("that rule does not allow ");
				text_safe(stdout, missing != NULL ? missing : "");
				printf(", which was seen; keep it in\n");
			} else if (r == -EPERM) {
				printf("that rule would also allow ");
				text_safe(stdout, missing != NULL ? missing : "");
				printf(", which was never seen; narrow it\n");
			} else if (r < 0)
				printf("that rule cannot be read: %s\n",
				    strerror(-r));
			else if (decide(cli, st, c, i, DECISION_ACCEPTED, rule,
			    "edited") == 0) {
				acc++;
				free(rule);
				break;
			}
			free(rule);
			goto again;
		case 's':
		case '\0':
			skip++;
			break;
		default:
			goto again;
		}
	}
done:
	printf("\n%zu accepted, %zu rejected, %zu skipped", acc, rej, skip);
	if (acc > 0)
		printf("; write them with 'aalearn apply %s'", c->profile);
	putchar('\n');
	return EXIT_OK;
}

int
cmd_review(struct cli *cli, int argc, char **argv)
{
	struct dec_list d = { 0 };
	const char *profile = NULL, **acc_ids, **rej_ids;
	size_t nacc = 0, nrej = 0, i, k, nacc_done = 0, nrej_done = 0;
	bool accept_all = false, flags = false, *done = NULL;
	struct cli_ctx c;
	struct store *st;
	int mode = 0, ret = EXIT_ERROR;
	long p;

	acc_ids = calloc((size_t)argc + 1, sizeof(*acc_ids));
	rej_ids = calloc((size_t)argc + 1, sizeof(*rej_ids));
	if (acc_ids == NULL || rej_ids == NULL) {
		free(acc_ids);
		free(rej_ids);
		return EXIT_ERROR;
	}
	/* --accept ID... and --reject ID... take every word that follows. */
	for (i = 1; i < (size_t)argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--accept-all") == 0) {
			accept_all = flags = true;
			mode = 0;
		} else if (strcmp(a, "--accept") == 0) {
			mode = 'a';
			flags = true;
		} else if (strcmp(a, "--reject") == 0) {
			mode = 'r';
			flags = true;
		} else if (strncmp(a, "--accept=", 9) == 0) {
			acc_ids[nacc++] = a + 9;
			flags = true;
		} else if (strncmp(a, "--reject=", 9) == 0) {
			rej_ids[nrej++] = a + 9;
			flags = true;
		} else if (a[0] == '-') {
			cli_usage_error("review", "review: unknown option '%s'", a);
			goto early;
		} else if (mode == 'a') {
			acc_ids[nacc++] = a;
		} else if (mode == 'r') {
			rej_ids[nrej++] = a;
		} else if (profile == NULL) {
			profile = a;
		} else {
			cli_usage_error("review", "review: unexpected argument "
			    "'%s'", a);
			goto early;
		}
	}
	/* "review --accept ID web": the profile came last. */
	if (profile == NULL && mode == 'a' && nacc > 0)
		profile = acc_ids[--nacc];
	else if (profile == NULL && mode == 'r' && nrej > 0)
		profile = rej_ids[--nrej];
	if (profile == NULL || !cli_name_ok(profile)) {
		cli_usage_error("review", "review: which profile?");
		goto early;
	}
	if ((mode == 'a' && nacc == 0) || (mode == 'r' && nrej == 0)) {
		cli_usage_error("review", "review: --%s wants proposal ids (see "
		    "'aalearn diff %s')", mode == 'a' ? "accept" : "reject",
		    profile);
		goto early;
	}
	if ((st = cli_open_store(cli, 0)) == NULL)
		goto early;
	if (cli_ctx_load(cli, st, profile, CTX_PROPOSE, &c) < 0) {
		store_close(st);
		goto early;
	}
	done = calloc(c.nprops + 1, sizeof(*done));
	if (done == NULL)
		goto out;

	if (!flags && cli->tty && isatty(STDIN_FILENO) && !cli->json) {
		ret = review_tty(cli, st, &c);
		goto out;
	}

	/* Resolve every id before deciding anything. */
	for (k = 0; k < nacc + nrej; k++) {
		const char *id = k < nacc ? acc_ids[k] : rej_ids[k - nacc];

		p = find_prop(&c, id);
		if (p == -2) {
			cli_error("'%s' names more than one proposal for '%s'; "
			    "give more digits", id, profile);
			goto out;
		}
		if (p < 0) {
			cli_error("no proposal '%s' for '%s'; see 'aalearn diff "
			    "%s' for the ids", id, profile, profile);
			goto out;
		}
		if (c.props[p].kind == PROPOSAL_NONE && k < nacc) {
			cli_error("proposal %s has no safe rule to accept",
			    c.props[p].id);
			goto out;
		}
	}
	for (k = 0; k < nrej; k++) {
		p = find_prop(&c, rej_ids[k]);
		if (decide(cli, st, &c, (size_t)p, DECISION_REJECTED, NULL,
		    NULL) < 0)
			goto out;
		c.dec[p] = DECISION_REJECTED;
		done[p] = true;
		nrej_done++;
	}
	for (k = 0; k < nacc; k++) {
		p = find_prop(&c, acc_ids[k]);
		if (decide(cli, st, &c, (size_t)p, DECISION_ACCEPTED, NULL,
		    NULL) < 0)
			goto out;
		c.dec[p] = DECISION_ACCEPTED;
		done[p] = true;
		nacc_done++;
	}
	for (i = 0; accept_all && i < c.nprops; i++) {
		if (c.props[i].kind == PROPOSAL_NONE ||
		    c.dec[i] != DECISION_NONE)
			continue;
		if (decide(cli, st, &c, i, DECISION_ACCEPTED, NULL, NULL) < 0)
			goto out;
		c.dec[i] = DECISION_ACCEPTED;
		done[i] = true;
		nacc_done++;
	}
	if (store_list_decisions(st, profile, dec_cb, &d) < 0)
		goto out;

	if (cli->json) {
		fputs("{\"profile\":", stdout);
		json_string(stdout, profile);
		printf(",\"accepted\":%zu,\"rejected\":%zu,\"proposals\":[",
		    nacc_done, nrej_done);
		for (i = 0; i < c.nprops; i++) {
			if (i > 0)
				putchar(',');
			prop_json(stdout, &c, &d, i);
		}
		fputs("]}\n", stdout);
	} else if (!flags) {
		/* No terminal and no decision: list what waits. */
		if (c.npending + c.nunsafe == 0)
			printf("nothing to review for '%s'\n", profile);
		for (i = 0, k = 0; i < c.nprops; i++) {
			if (c.dec[i] != DECISION_NONE)
				continue;
			screen(stdout, &c, i, ++k, c.npending + c.nunsafe,
			    false);
		}
		if (c.npending + c.nunsafe > 0)
			printf("\ndecide with 'aalearn review %s --accept-all', "
			    "'--accept ID...' or '--reject ID...'\n", profile);
	} else {
		for (i = 0; i < c.nprops; i++) {
			if (!done[i])
				continue;
			printf("%s %s  ", c.dec[i] == DECISION_ACCEPTED ?
			    "accepted" : "rejected", c.props[i].id);
			text_safe(stdout, c.props[i].text);
			putchar('\n');
		}
		printf("%zu accepted, %zu rejected", nacc_done, nrej_done);
		if (nacc_done > 0)
			printf("; write them with 'aalearn apply %s'", profile);
		putchar('\n');
	}
	ret = EXIT_OK;
out:
	free(done);
	dec_list_free(&d);
	cli_ctx_free(&c);
	store_close(st);
early:
	free(acc_ids);
	free(rej_ids);
	return ret;
}
