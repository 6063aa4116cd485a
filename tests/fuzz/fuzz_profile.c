/*
 * fuzz_profile - the profile text parser and aalearn's block writer on any
 * bytes (learner/profile.c).
 *
 * Input: one flags byte, then NUL-separated segments.  The first segment is
 * the profile file; each later one is an include file, "NAME\nTEXT", held
 * in memory and served by the loader (the host's files are never read).
 * Flags: bits 0-4 the length L of an include chain (below), bit 5 also
 * writes the file-level block (a local/ file), bit 6 wraps the text in
 * 30 to 37 nested profiles.
 *
 * Invariants, each an abort:
 *   - parsing returns 0, -EINVAL or -E2BIG, never crashes or leaks; what it
 *     returns describes the text: offsets inside it on the braces, blocks
 *     in order and inside their parents, lines that exist, nesting within
 *     the parser's cap (32);
 *   - for each profile (and the file level), aalearn's block replaced by
 *     rules taken from the input: the result parses; bytes outside the
 *     block are kept byte for byte (a pure insertion when there was no
 *     block); the rules read back are those written; every other block,
 *     variable and include parses as before, and the profile holds its old
 *     rules less the old block's plus the new ones; writing the same rules
 *     again changes nothing;
 *   - with no block before, the policy of the written text is the policy of
 *     the old text with the rules added (same rules, same privileged count),
 *     includes resolved through the in-memory loader;
 *   - the loader is never asked again for a file it already gave, and for
 *     at most PROFILE_INCLUDE_FILES files per load;
 *   - a new block is refused (-EBADMSG) exactly when the parser says the
 *     text leaves a statement open there (open_end); the parser's open_end
 *     of the file and of each block agrees with a rule put there by hand
 *     parsing as a rule of its own; markers are begin lines, in order;
 *   - a chain of L+1 nested files (L generated, the last one the input)
 *     loads past the include cap only as -ELOOP;
 *   - once, at start: a text one byte over PROFILE_TEXT_MAX is -E2BIG.
 *
 * The three writer bugs this target found first (a block joining an open
 * statement, a stray begin marker, deep indentation) are fixed; their
 * reproducers are seeds now.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learner.h"

#define MAX_FILES	16
#define MAX_BLOCKS	4
#define MAX_CANDS	8
#define MAX_NEST	32	/* profile.c's PROFILE_MAX_NESTING (private) */
#define LOADED_MAX	(PROFILE_INCLUDE_FILES + 8)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static void
die(const char *why)
{
	fprintf(stderr, "fuzz_profile: %s\n", why);
	abort();
}

/* ---- the in-memory include set */

struct memfile {
	const char *name;
	size_t	 nlen;
	const char *text;
	size_t	 len;
};

struct fs {
	struct memfile f[MAX_FILES];
	size_t	 n;
	const char *chain_end;	/* chain/L's text */
	size_t	 chain_len;
	unsigned chain;		/* L: chain/0 .. chain/L-1 include the next */
	char	*loaded[LOADED_MAX];	/* names given during one load */
	size_t	 nloaded;
};

static void
fs_reset(struct fs *fs)
{
	for (size_t i = 0; i < fs->nloaded; i++)
		free(fs->loaded[i]);
	fs->nloaded = 0;
}

static int
give(const char *s, size_t n, char **ret_text, size_t *ret_len)
{
	char *t = malloc(n + 1);

	if (t == NULL)
		die("malloc");
	memcpy(t, s, n);
	t[n] = '\0';
	*ret_text = t;
	*ret_len = n;
	return 0;
}

static int
mem_loader(const char *name, bool angle, char **ret_text, size_t *ret_len,
    void *arg)
{
	struct fs *fs = arg;
	unsigned k;
	char buf[64];
	int end;

	(void)angle;
	for (size_t i = 0; i < fs->nloaded; i++)
		if (strcmp(fs->loaded[i], name) == 0)
			die("loader asked twice for a file it gave");
	if (fs->nloaded >= PROFILE_INCLUDE_FILES)
		die("loader asked past PROFILE_INCLUDE_FILES");
	if ((fs->loaded[fs->nloaded] = strdup(name)) == NULL)
		die("strdup");
	fs->nloaded++;
	if (fs->chain_end != NULL && sscanf(name, "chain/%u%n", &k,
	    &end) == 1 && name[end] == '\0' && k <= fs->chain) {
		if (k == fs->chain)
			return give(fs->chain_end, fs->chain_len, ret_text,
			    ret_len);
		end = snprintf(buf, sizeof(buf), "include <chain/%u>\n", k + 1);
		return give(buf, (size_t)end, ret_text, ret_len);
	}
	for (size_t i = 0; i < fs->n; i++)
		if (strlen(name) == fs->f[i].nlen &&
		    memcmp(name, fs->f[i].name, fs->f[i].nlen) == 0)
			return give(fs->f[i].text, fs->f[i].len, ret_text,
			    ret_len);
	/* not given: it may be asked again (include if exists) */
	fs->nloaded--;
	free(fs->loaded[fs->nloaded]);
	return -ENOENT;
}

/* ---- helpers */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct strv {
	char	**v;
	size_t	 n, cap;
};

static void
strv_add(struct strv *s, const char *p, size_t n)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		if ((s->v = realloc(s->v, s->cap * sizeof(*s->v))) == NULL)
			die("realloc");
	}
	if ((s->v[s->n] = strndup(p, n)) == NULL)
		die("strndup");
	s->n++;
}

static void
strv_clear(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* Remove one string equal to p; false when there is none. */
static bool
strv_take(struct strv *s, const char *p)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], p) == 0) {
			free(s->v[i]);
			s->v[i] = s->v[--s->n];
			return true;
		}
	return false;
}

static bool
strv_same(struct strv *a, struct strv *b)
{
	if (a->n != b->n)
		return false;
	if (a->n == 0)
		return true;
	qsort(a->v, a->n, sizeof(*a->v), cmp_str);
	qsort(b->v, b->n, sizeof(*b->v), cmp_str);
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

static size_t
block_depth(const struct profile_file *pf, size_t i)
{
	size_t d = 0;

	for (int k = (int)i; k >= 0; k = pf->blocks[k].parent)
		d++;
	return d;
}

/* The full name "p//child//hat"; false when it does not fit. */
static bool
full_name(const struct profile_file *pf, size_t i, char *name, size_t sz)
{
	int chain[MAX_NEST + 1], nc = 0;
	size_t n = 0;

	for (int k = (int)i; k >= 0; k = pf->blocks[k].parent) {
		if (nc > MAX_NEST)
			return false;
		chain[nc++] = k;
	}
	name[0] = '\0';
	for (int k = nc - 1; k >= 0; k--) {
		const char *s = pf->blocks[chain[k]].name;
		size_t l = strlen(s);

		if (n + l + 3 >= sz)
			return false;
		if (k != nc - 1) {
			memcpy(name + n, "//", 2);
			n += 2;
		}
		memcpy(name + n, s, l + 1);
		n += l;
	}
	return true;
}

/* The parser's blanks (a space that does not end a line). */
static bool
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static size_t
count_lines(const char *t, size_t n)
{
	size_t lines = 1;

	for (size_t i = 0; i < n; i++)
		lines += t[i] == '\n';
	return lines;
}

static void
check_rules(const struct profile_rule *r, size_t n, size_t lines)
{
	for (size_t i = 0; i < n; i++) {
		if (r[i].text == NULL)
			die("rule without text");
		if (r[i].line < 1 || r[i].line > lines)
			die("rule on a line that does not exist");
	}
}

static bool statement_may_start(const char *t, size_t n, size_t p);

/* What the parse says must hold in the text it was given. */
static void
check_structure(const struct profile_file *pf, const char *t, size_t n)
{
	size_t lines = count_lines(t, n);

	if (pf->len != n || memcmp(pf->text, t, n) != 0)
		die("file text is not a copy of the input");
	check_rules(pf->rules, pf->nrules, lines);
	for (size_t i = 0; i < pf->nincludes; i++)
		if (pf->includes[i].name == NULL ||
		    pf->includes[i].line < 1 || pf->includes[i].line > lines)
			die("bad file-level include");
	for (size_t i = 0; i < pf->nvars; i++)
		if (pf->vars[i].name == NULL ||
		    (pf->vars[i].nvalues > 0 && pf->vars[i].values == NULL))
			die("bad variable");
	for (size_t i = 0; i < pf->nmarkers; i++) {
		size_t m = pf->markers[i];

		if (m >= n || (m > 0 && t[m - 1] != '\n') ||
		    (i > 0 && m <= pf->markers[i - 1]))
			die("a marker not at a line start, or out of order");
		while (m < n && blank(t[m]))
			m++;
		if (n - m < 15 || memcmp(t + m, "# aalearn:begin", 15) != 0)
			die("a marker that is not a begin line");
	}
	if (pf->open_end == statement_may_start(t, n, n))
		die("open_end of the file disagrees with a rule put at its end");
	for (size_t i = 0; i < pf->nblocks; i++) {
		const struct profile_block *b = &pf->blocks[i];

		if (i < 8 && b->body_end < n && b->open_end ==
		    statement_may_start(t, n, b->body_end))
			die("open_end of a block disagrees with a rule put "
			    "before its brace");
		if (b->name == NULL)
			die("block without a name");
		if (!(b->header_start < b->body_start &&
		    b->body_start <= b->body_end && b->body_end < n))
			die("block offsets out of order or outside the text");
		if (t[b->body_start - 1] != '{' || t[b->body_end] != '}')
			die("block offsets not on its braces");
		if (b->parent >= (int)i || b->parent < -1)
			die("parent after its child");
		if (b->parent >= 0) {
			const struct profile_block *p = &pf->blocks[b->parent];

			if (!(b->body_start > p->body_start &&
			    b->body_end < p->body_end))
				die("child outside its parent");
		}
		if (i > 0 && b->body_start <= pf->blocks[i - 1].body_start)
			die("blocks not in order of appearance");
		if (block_depth(pf, i) > MAX_NEST)
			die("nesting past the cap");
		check_rules(b->rules, b->nrules, lines);
		for (size_t k = 0; k < b->nincludes; k++)
			if (b->includes[k].name == NULL ||
			    b->includes[k].line < 1 ||
			    b->includes[k].line > lines)
				die("bad include in a block");
	}
}

static void
rule_texts(const struct profile_rule *r, size_t n, struct strv *out)
{
	for (size_t i = 0; i < n; i++)
		strv_add(out, r[i].text, strlen(r[i].text));
}

static bool
same_rules_in_order(const struct profile_rule *a, size_t na,
    const struct profile_rule *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i].text, b[i].text) != 0 || a[i].cls != b[i].cls ||
		    a[i].deny != b[i].deny || a[i].mask != b[i].mask)
			return false;
	return true;
}

static bool
same_includes(const struct profile_include *a, size_t na,
    const struct profile_include *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i].name, b[i].name) != 0 ||
		    a[i].angle != b[i].angle || a[i].if_exists != b[i].if_exists)
			return false;
	return true;
}

static bool
same_vars(const struct profile_file *a, const struct profile_file *b)
{
	if (a->nvars != b->nvars)
		return false;
	for (size_t i = 0; i < a->nvars; i++) {
		const struct profile_var *x = &a->vars[i], *y = &b->vars[i];

		if (strcmp(x->name, y->name) != 0 || x->nvalues != y->nvalues ||
		    x->append != y->append)
			return false;
		for (size_t k = 0; k < x->nvalues; k++)
			if (strcmp(x->values[k], y->values[k]) != 0)
				return false;
	}
	return true;
}

/* Whether rule (as written into a block, "RULE,") is accepted there. */
static bool
rule_accepted(const char *rule)
{
	static const char probe[] = "profile p {\n}\n";
	char *out;
	size_t len;
	int rc;

	rc = profile_set_rules(probe, sizeof(probe) - 1, "p", &rule, 1, &out,
	    &len);
	if (rc == -ENOMEM)
		die("ENOMEM on a probe");
	if (rc != 0)
		return false;
	free(out);
	return true;
}

/* "RULE," or "RULE ," as a block line -> the parsed rule's text. */
static void
line_to_text(const char *line, struct strv *out)
{
	size_t n = strlen(line);

	if (n > 0 && line[n - 1] == ',')
		n--;
	while (n > 0 && blank(line[n - 1]))
		n--;
	strv_add(out, line, n);
}

/* A block line the parser takes as an include: "include" as a word. */
static bool
include_line(const char *l)
{
	if (strncmp(l, "include", 7) != 0)
		return false;
	return !(isalnum((unsigned char)l[7]) || l[7] == '_' || l[7] == '-');
}

/* The allow rules of a policy (all of them: no evidence). */
static void
policy_rules(const struct policy *pol, struct strv *out, size_t *ret_priv)
{
	char **v;
	size_t total, priv;

	if (policy_unmatched_rules(pol, NULL, 0, 100000, &v, &total,
	    &priv) != 0)
		die("policy_unmatched_rules failed");
	for (size_t i = 0; v[i] != NULL; i++)
		strv_add(out, v[i], strlen(v[i]));
	if (out->n != total)
		die("policy_unmatched_rules: total is not the count listed");
	*ret_priv = priv;
	profile_strv_free(v);
}

#define SENTINEL "/aalearn-fuzz-sentinel r"

static bool
has_sentinel(const struct profile_rule *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(r[i].text, SENTINEL) == 0)
			return true;
	return false;
}

/*
 * Whether a statement may start at p: a rule put there parses as a rule of
 * its own.  Not so when the text leaves a statement open there (a rule
 * without its comma, ended by the closing brace; apparmor_parser refuses
 * such a text): a block written at p would join that rule.
 */
static bool
statement_may_start(const char *t, size_t n, size_t p)
{
	static const char s[] = "\n" SENTINEL ",\n";
	struct profile_file *pf;
	char *u = malloc(n + sizeof(s));
	bool ok = false;

	if (u == NULL)
		die("malloc");
	memcpy(u, t, p);
	memcpy(u + p, s, sizeof(s) - 1);
	memcpy(u + p + sizeof(s) - 1, t + p, n - p);
	if (profile_parse(u, n + sizeof(s) - 1, &pf) == 0) {
		ok = has_sentinel(pf->rules, pf->nrules);
		for (size_t i = 0; i < pf->nblocks && !ok; i++)
			ok = has_sentinel(pf->blocks[i].rules,
			    pf->blocks[i].nrules);
		profile_file_free(pf);
	}
	free(u);
	return ok;
}

/* ---- the write-back of one block */

static void
check_write(const char *t, size_t n, const struct profile_file *pf,
    const char *name, const char *const *cands, size_t ncand, struct fs *fs)
{
	const struct profile_block *b = NULL;
	struct profile_file *pf2 = NULL;
	char **old = NULL, *out = NULL, *again = NULL, **back = NULL;
	size_t len, len2, pre = 0, suf = 0, lo, hi, nold = 0;
	bool marker = false, open_end;
	int bi = -1, rc;
	struct strv want = { 0 }, got = { 0 }, dedup = { 0 };

	if (name != NULL) {
		b = profile_find(pf, name);
		bi = (int)(b - pf->blocks);
		lo = b->body_start;
		hi = b->body_end;
		marker = memmem(t + lo, hi - lo, "aalearn:begin", 13) != NULL;
	} else {
		lo = 0;
		hi = n;
		marker = memmem(t, n, "aalearn:begin", 13) != NULL;
	}
	rc = profile_block_rules(t, n, name, &old);
	if (rc != 0)
		die("profile_block_rules fails on a text that parsed");
	while (old[nold] != NULL)
		nold++;
	if (nold > 0 && !marker)
		die("block rules read without a begin marker");

	/* A new block where a statement is left open: refused, and only then. */
	open_end = b != NULL ? b->open_end : pf->open_end;
	rc = profile_set_rules(t, n, name, cands, ncand, &out, &len);
	if (rc == -EBADMSG && !open_end)
		die("-EBADMSG but the parser saw no open statement");
	if (rc != -EBADMSG && open_end && !marker && ncand > 0)
		die("a new block written after an open statement");
	if (rc == -E2BIG || rc == -EBADMSG)
		goto done;
	if (rc != 0)
		die("profile_set_rules refused accepted rules on a parsed text");

	/* Bytes outside the block kept; insertion only when there was none. */
	while (pre < n && pre < len && out[pre] == t[pre])
		pre++;
	while (suf < n - pre && suf < len - pre &&
	    out[len - 1 - suf] == t[n - 1 - suf])
		suf++;
	if (!marker && pre + suf != n)
		die("bytes of the text changed where there was no block");
	if (pre + suf < n && (pre < lo || n - suf > hi))
		die("bytes outside the profile's body changed");

	/*
	 * A new block (no marker before) goes where a statement may start:
	 * checked here by parsing, independently of the parser's open_end.
	 */
	if (!marker && ncand > 0 && !statement_may_start(t, n, pre))
		die("block written where the text leaves a statement open");
	if (!marker && ncand == 0 && (len != n || memcmp(out, t, n) != 0))
		die("no block and no rules, but the text changed");
	if (profile_parse(out, len, &pf2) != 0)
		die("written text does not parse");
	check_structure(pf2, out, len);

	/* The rules read back are those written, each once. */
	for (size_t i = 0; i < ncand; i++) {
		bool dup = false;

		for (size_t k = 0; k < dedup.n && !dup; k++)
			dup = strcmp(dedup.v[k], cands[i]) == 0;
		if (!dup)
			strv_add(&dedup, cands[i], strlen(cands[i]));
	}
	if (profile_block_rules(out, len, name, &back) != 0)
		die("block rules of the written text");
	for (size_t i = 0; i <= dedup.n; i++) {
		if (i < dedup.n && back[i] != NULL &&
		    strcmp(back[i], dedup.v[i]) == 0)
			continue;
		if (i == dedup.n && back[i] == NULL)
			break;
		for (size_t k = 0; k < dedup.n; k++)
			fprintf(stderr, "wrote[%zu] %s\n", k, dedup.v[k]);
		for (size_t k = 0; back[k] != NULL; k++)
			fprintf(stderr, "read[%zu] %s\n", k, back[k]);
		fprintf(stderr, "profile %s, written text:\n", name ? name :
		    "(file level)");
		fwrite(out, 1, len, stderr);
		die("block reads back other rules than written");
	}

	/* Every other block as before; this one: old - old block + new. */
	if (pf2->nblocks != pf->nblocks)
		die("block count changed");
	if (!same_vars(pf, pf2))
		die("variables changed");
	for (size_t i = 0; i < pf->nblocks; i++) {
		const struct profile_block *x = &pf->blocks[i];
		const struct profile_block *y = &pf2->blocks[i];

		if (strcmp(x->name, y->name) != 0 || x->parent != y->parent ||
		    x->mode != y->mode || x->hat != y->hat) {
			fprintf(stderr, "block %zu [%s] parent %d mode %d hat %d "
			    "-> [%s] parent %d mode %d hat %d; writing %s\n", i,
			    x->name, x->parent, (int)x->mode, x->hat, y->name,
			    y->parent, (int)y->mode, y->hat, name ? name :
			    "(file level)");
			die("a block's header changed");
		}
		if ((int)i == bi)
			continue;
		if (!same_rules_in_order(x->rules, x->nrules, y->rules,
		    y->nrules))
			die("another block's rules changed");
		if (!same_includes(x->includes, x->nincludes, y->includes,
		    y->nincludes))
			die("another block's includes changed");
	}
	if (bi >= 0) {
		if (!same_rules_in_order(pf->rules, pf->nrules, pf2->rules,
		    pf2->nrules))
			die("file-level rules changed");
		if (!same_includes(pf->includes, pf->nincludes, pf2->includes,
		    pf2->nincludes))
			die("file-level includes changed");
		rule_texts(b->rules, b->nrules, &want);
		rule_texts(pf2->blocks[bi].rules, pf2->blocks[bi].nrules, &got);
	} else {
		rule_texts(pf->rules, pf->nrules, &want);
		rule_texts(pf2->rules, pf2->nrules, &got);
	}
	{
		struct strv gone = { 0 }, added = { 0 };

		for (size_t i = 0; i < nold; i++)
			if (!include_line(old[i]))
				line_to_text(old[i], &gone);
		for (size_t i = 0; i < gone.n; i++)
			if (!strv_take(&want, gone.v[i]))
				die("an old block rule was not a rule");
		for (size_t i = 0; i < dedup.n; i++)
			line_to_text(dedup.v[i], &added);
		for (size_t i = 0; i < added.n; i++)
			strv_add(&want, added.v[i], strlen(added.v[i]));
		strv_clear(&gone);
		strv_clear(&added);
	}
	if (!strv_same(&want, &got)) {
		for (size_t i = 0; i < want.n; i++)
			fprintf(stderr, "want[%zu] %s\n", i, want.v[i]);
		for (size_t i = 0; i < got.n; i++)
			fprintf(stderr, "got[%zu] %s\n", i, got.v[i]);
		fprintf(stderr, "profile %s, written text:\n", name ? name :
		    "(file level)");
		fwrite(out, 1, len, stderr);
		die("the profile's rules are not old - old block + new");
	}

	/* The same rules again: the same text. */
	rc = profile_set_rules(out, len, name, cands, ncand, &again, &len2);
	if (rc != 0 && rc != -E2BIG)
		die("rewriting the written text failed");
	if (rc == 0 && (len2 != len || memcmp(again, out, len) != 0)) {
		fprintf(stderr, "profile %s, written once:\n", name ? name :
		    "(file level)");
		fwrite(out, 1, len, stderr);
		fprintf(stderr, "\nwritten twice:\n");
		fwrite(again, 1, len2, stderr);
		die("writing the same rules twice changed the text");
	}

	/* No block before: the policy is the old one plus the rules. */
	if (!marker && name != NULL) {
		struct policy *pa = NULL, *pb = NULL;
		int ra, rb;

		fs_reset(fs);
		ra = policy_load(t, n, name, mem_loader, fs, &pa);
		fs_reset(fs);
		rb = policy_load(out, len, name, mem_loader, fs, &pb);
		fs_reset(fs);
		if (ra == -ENOMEM || rb == -ENOMEM)
			die("ENOMEM in policy_load");
		if (ra != rb)
			die("policy_load: written text loads differently");
		for (size_t i = 0; ra == 0 && i < dedup.n; i++) {
			rc = policy_add_rule(pa, dedup.v[i], mem_loader, fs);
			fs_reset(fs);
			if (rc != 0)
				die("policy_add_rule refused an accepted rule");
		}
		if (ra == 0) {
			struct strv ra_r = { 0 }, rb_r = { 0 };
			size_t pra, prb;

			policy_rules(pa, &ra_r, &pra);
			policy_rules(pb, &rb_r, &prb);
			if (pra != prb || !strv_same(&ra_r, &rb_r))
				die("policy of the written text is not old + rules");
			strv_clear(&ra_r);
			strv_clear(&rb_r);
		}
		policy_free(pa);
		policy_free(pb);
	}
done:
	strv_clear(&want);
	strv_clear(&got);
	strv_clear(&dedup);
	profile_strv_free(back);
	profile_strv_free(old);
	profile_file_free(pf2);
	free(again);
	free(out);
}

/* ---- one input */

static void
fuzz_text(const char *t, size_t n, uint8_t flags, struct fs *fs)
{
	struct profile_file *pf;
	struct strv cand = { 0 };
	const char *cands[MAX_CANDS];
	size_t ncand = 0;
	int rc;

	rc = profile_parse(t, n, &pf);
	if (rc == -EINVAL || rc == -E2BIG)
		return;
	if (rc != 0)
		die("profile_parse: not 0, -EINVAL or -E2BIG");
	check_structure(pf, t, n);

	/* Rules to write: the input's own, as a block line each. */
	for (size_t i = 0; i <= pf->nblocks && cand.n < MAX_CANDS; i++) {
		const struct profile_rule *r = i < pf->nblocks ?
		    pf->blocks[i].rules : pf->rules;
		size_t nr = i < pf->nblocks ? pf->blocks[i].nrules : pf->nrules;

		for (size_t k = 0; k < nr && cand.n < MAX_CANDS; k++) {
			size_t l = strlen(r[k].text);
			char *line = malloc(l + 2);

			if (line == NULL)
				die("malloc");
			memcpy(line, r[k].text, l);
			memcpy(line + l, ",", 2);
			if (rule_accepted(line))
				strv_add(&cand, line, l + 1);
			free(line);
		}
	}
	for (size_t i = 0; i < cand.n; i++)
		cands[ncand++] = cand.v[i];

	for (size_t i = 0; i < pf->nblocks && i < MAX_BLOCKS; i++) {
		char name[1024];

		if (!full_name(pf, i, name, sizeof(name)))
			continue;
		if (profile_find(pf, name) != &pf->blocks[i])
			continue;	/* two blocks of one name: the first wins */
		check_write(t, n, pf, name, cands, ncand, fs);
		/* and with no rules: an empty block or none */
		check_write(t, n, pf, name, cands, 0, fs);
	}
	if (flags & 0x20)
		check_write(t, n, pf, NULL, cands, ncand, fs);
	strv_clear(&cand);
	profile_file_free(pf);
}

/* A chain of L generated files, then the input: -ELOOP past the cap. */
static void
fuzz_chain(const char *t, size_t n, unsigned L, struct fs *fs)
{
	struct profile_file *pf;
	struct policy *pol = policy_new();
	bool plain = false;
	int rc;

	if (pol == NULL)
		die("policy_new");
	if (profile_parse(t, n, &pf) == 0) {
		plain = pf->nincludes == 0;
		profile_file_free(pf);
	}
	fs->chain = L;
	fs->chain_end = t;
	fs->chain_len = n;
	fs_reset(fs);
	rc = policy_add_rule(pol, "include <chain/0>", mem_loader, fs);
	fs_reset(fs);
	fs->chain = 0;
	fs->chain_end = NULL;
	/* chain/0 .. chain/L-1 and the input: L + 1 files, one in another */
	if (L + 1 > PROFILE_INCLUDE_DEPTH && rc != -ELOOP)
		die("include chain past the cap loaded");
	if (L + 1 <= PROFILE_INCLUDE_DEPTH && plain && rc == -ELOOP)
		die("include chain within the cap refused as -ELOOP");
	if (rc == -ENOMEM)
		die("ENOMEM in a chain");
	policy_free(pol);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct profile_file *pf;
	size_t n = (size_t)PROFILE_TEXT_MAX + 1;
	char *big = malloc(n);

	(void)argc;
	(void)argv;
	if (big == NULL)
		die("malloc");
	memset(big, ' ', n);
	if (profile_parse(big, n, &pf) != -E2BIG)
		die("a text over PROFILE_TEXT_MAX is not -E2BIG");
	free(big);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fs fs;
	const char *p = (const char *)data + 1, *end = (const char *)data + size;
	const char *main_text, *nl;
	size_t main_len;
	uint8_t flags;
	char *wrapped = NULL;

	if (size < 1)
		return 0;
	flags = data[0];
	memset(&fs, 0, sizeof(fs));
	main_text = p;
	p = memchr(main_text, '\0', (size_t)(end - main_text));
	main_len = (size_t)((p ? p : end) - main_text);
	while (p != NULL && p < end && fs.n < MAX_FILES) {
		const char *s = p + 1, *e;

		e = memchr(s, '\0', (size_t)(end - s));
		if (e == NULL)
			e = end;
		nl = memchr(s, '\n', (size_t)(e - s));
		if (nl != NULL) {
			fs.f[fs.n].name = s;
			fs.f[fs.n].nlen = (size_t)(nl - s);
			fs.f[fs.n].text = nl + 1;
			fs.f[fs.n].len = (size_t)(e - nl - 1);
			fs.n++;
		}
		p = e < end ? e : NULL;
	}
	if (flags & 0x40) {
		/* 30..37 nested profiles around the text: the cap is 32 */
		unsigned w = 30 + (unsigned)(main_len % 8);
		size_t k = 0, cap = main_len + w * 32 + 16;

		if ((wrapped = malloc(cap)) == NULL)
			die("malloc");
		for (unsigned i = 0; i < w; i++)
			k += (size_t)snprintf(wrapped + k, cap - k,
			    "profile n%u {\n", i);
		memcpy(wrapped + k, main_text, main_len);
		k += main_len;
		wrapped[k++] = '\n';
		for (unsigned i = 0; i < w; i++)
			wrapped[k++] = '}';
		wrapped[k++] = '\n';
		main_text = wrapped;
		main_len = k;
	}
	fuzz_text(main_text, main_len, flags, &fs);
	fuzz_chain(main_text, main_len, flags & 0x1f, &fs);
	fs_reset(&fs);
	free(wrapped);
	return 0;
}
