/*
 * aare.c - AppArmor's globbing (AARE) as a matcher.
 *
 * A pattern is compiled in two steps, the way apparmor_parser reads it:
 * variables are expanded as text first (a variable with several values
 * becomes "{v1,v2,...}", values may refer to other variables), then the
 * text is compiled into a Thompson NFA that aare_match() runs over a name
 * in one pass, so that matching costs O(len(name) * size(pattern)) and a
 * hostile pattern or name cannot make it backtrack exponentially.
 *
 * Semantics checked against apparmor_parser 3.0.8 (-D rule-exprs) and
 * apparmor.d(5):
 *   - '*' is a run of bytes without '/', '**' any run; when the star run
 *     directly follows a literal '/' and is followed by '/' or the end of
 *     the pattern, it must match at least one byte that is not '/': so
 *     "/tmp/" + star does not match "/tmp/", nor "/" + star + "/x" "//x".
 *   - '?' is one byte other than '/'.
 *   - "[...]" is passed to the regex engine as is: "[^a]" does match '/';
 *     an unescaped '*' or '?' inside it is refused, because the parser
 *     turns them into globs there too and the class falls apart.
 *   - "{...}" needs at least one ',' ("{a}" is an error for the parser).
 *   - '\' escapes: \ooo (octal, up to 3 digits), \dNNN, \xHH, \a \e \f \n
 *     \r \t, and any other byte stands for itself; the result is always a
 *     literal byte, never syntax (the parser turns "\052" into "\*").
 *   - ^ $ . + | ( ) , outside "{}" are literal.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "learner.h"

/* Expanded text of one pattern, bytes. */
#define AARE_MAX_EXPANDED	65536
#define AARE_MAX_VARNAME	128

/* ------------------------------------------------------------ variables */

struct aare_var {
	char	*name;
	char	**values;
	size_t	 n, cap;
};

struct aare_vars {
	struct aare_var	*v;
	size_t		 n, cap;
};

struct aare_vars *
aare_vars_new(void)
{
	return calloc(1, sizeof(struct aare_vars));
}

static void
aare_var_clear(struct aare_var *var)
{
	size_t i;

	for (i = 0; i < var->n; i++)
		free(var->values[i]);
	var->n = 0;
}

void
aare_vars_free(struct aare_vars *vars)
{
	size_t i;

	if (vars == NULL)
		return;
	for (i = 0; i < vars->n; i++) {
		aare_var_clear(&vars->v[i]);
		free(vars->v[i].values);
		free(vars->v[i].name);
	}
	free(vars->v);
	free(vars);
}

static int
aare_name_ok(const char *name, size_t n)
{
	size_t i;

	if (n == 0 || n > AARE_MAX_VARNAME)
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return 1;
}

static struct aare_var *
aare_vars_find(const struct aare_vars *vars, const char *name, size_t n)
{
	size_t i;

	if (vars == NULL)
		return NULL;
	for (i = 0; i < vars->n; i++)
		if (strlen(vars->v[i].name) == n &&
		    memcmp(vars->v[i].name, name, n) == 0)
			return &vars->v[i];
	return NULL;
}

static int
aare_vars_put(struct aare_vars *vars, const char *name, const char *value,
    int replace)
{
	struct aare_var *var;
	char *copy;

	if (vars == NULL || name == NULL || value == NULL ||
	    !aare_name_ok(name, strlen(name)))
		return -EINVAL;
	if (strlen(value) > AARE_MAX_PATTERN)
		return -E2BIG;
	var = aare_vars_find(vars, name, strlen(name));
	if (var == NULL) {
		if (vars->n >= AARE_MAX_VARS)
			return -E2BIG;
		if (vars->n == vars->cap) {
			size_t cap = vars->cap ? vars->cap * 2 : 16;
			struct aare_var *nv = realloc(vars->v, cap * sizeof(*nv));

			if (nv == NULL)
				return -ENOMEM;
			vars->v = nv;
			vars->cap = cap;
		}
		var = &vars->v[vars->n];
		memset(var, 0, sizeof(*var));
		if ((var->name = strdup(name)) == NULL)
			return -ENOMEM;
		vars->n++;
	}
	if (!replace && var->n >= AARE_MAX_VALUES)
		return -E2BIG;
	if ((copy = strdup(value)) == NULL)
		return -ENOMEM;
	if (replace)
		aare_var_clear(var);
	if (var->n == var->cap) {
		size_t cap = var->cap ? var->cap * 2 : 4;
		char **nv = realloc(var->values, cap * sizeof(*nv));

		if (nv == NULL) {
			free(copy);
			return -ENOMEM;
		}
		var->values = nv;
		var->cap = cap;
	}
	var->values[var->n++] = copy;
	return 0;
}

int
aare_vars_set(struct aare_vars *vars, const char *name, const char *value)
{
	return aare_vars_put(vars, name, value, 1);
}

int
aare_vars_add(struct aare_vars *vars, const char *name, const char *value)
{
	return aare_vars_put(vars, name, value, 0);
}

int
aare_vars_unset(struct aare_vars *vars, const char *name)
{
	struct aare_var *var;

	if (vars == NULL || name == NULL)
		return -EINVAL;
	if ((var = aare_vars_find(vars, name, strlen(name))) == NULL)
		return -ENOENT;
	aare_var_clear(var);
	free(var->values);
	free(var->name);
	*var = vars->v[--vars->n];
	return 0;
}

const char *const *
aare_vars_get(const struct aare_vars *vars, const char *name, size_t *ret_n)
{
	struct aare_var *var;

	if (name == NULL)
		return NULL;
	if ((var = aare_vars_find(vars, name, strlen(name))) == NULL)
		return NULL;
	if (ret_n != NULL)
		*ret_n = var->n;
	return (const char *const *)var->values;
}

/* ------------------------------------------------------------ expansion */

struct aare_buf {
	char	*p;
	size_t	 len, cap;
};

static int
aare_buf_put(struct aare_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > AARE_MAX_EXPANDED)
		return -E2BIG;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *np;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL)
			return -ENOMEM;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

struct aare_expand {
	const struct aare_vars	*vars;
	int			 path;	/* strip slashes around references */
	const struct aare_var	*stack[AARE_MAX_DEPTH];
	int			 depth;
	const char		*error;
};

static int aare_expand_text(struct aare_expand *, struct aare_buf *,
    const char *, size_t, int, int);

/*
 * In a path, apparmor_parser drops the slashes a value would double: the
 * leading '/'s of each value when the reference follows a '/', the trailing
 * ones when a '/' follows it ("@{HOME}/.ssh" with HOME=/root/ is
 * "/root/.ssh", "/x/@{H}/y" with H="/a/ /b/" is "/x/{a,b}/y").
 */
static void
aare_value_trim(const char **v, size_t *n, int prev_slash, int next_slash)
{
	if (prev_slash)
		while (*n > 0 && **v == '/') {
			(*v)++;
			(*n)--;
		}
	if (next_slash)
		while (*n > 0 && (*v)[*n - 1] == '/' &&
		    !(*n >= 2 && (*v)[*n - 2] == '\\'))
			(*n)--;
}

static int
aare_expand_var(struct aare_expand *ex, struct aare_buf *out,
    const char *name, size_t n, int prev_slash, int next_slash)
{
	const struct aare_var *var;
	size_t i;
	int err, d;

	if ((var = aare_vars_find(ex->vars, name, n)) == NULL || var->n == 0) {
		ex->error = "undefined variable";
		return -EINVAL;
	}
	for (d = 0; d < ex->depth; d++)
		if (ex->stack[d] == var) {
			ex->error = "variable refers to itself";
			return -ELOOP;
		}
	if (ex->depth >= AARE_MAX_DEPTH) {
		ex->error = "variables nest too deep";
		return -E2BIG;
	}
	ex->stack[ex->depth++] = var;
	if (var->n > 1 && (err = aare_buf_put(out, "{", 1)) != 0)
		goto out;
	for (i = 0; i < var->n; i++) {
		if (i > 0 && (err = aare_buf_put(out, ",", 1)) != 0)
			goto out;
		const char *v = var->values[i];
		size_t vn = strlen(v);

		if (ex->path)
			aare_value_trim(&v, &vn, prev_slash, next_slash);
		err = aare_expand_text(ex, out, v, vn, prev_slash, next_slash);
		if (err != 0)
			goto out;
	}
	if (var->n > 1)
		err = aare_buf_put(out, "}", 1);
	else
		err = 0;
out:
	ex->depth--;
	return err;
}

/*
 * Copy text into out with every unescaped @{name} replaced.  prev_slash
 * and next_slash say whether a '/' stands right before and after this text
 * in the pattern (for a value: around the reference it replaces).
 */
static int
aare_expand_text(struct aare_expand *ex, struct aare_buf *out,
    const char *s, size_t n, int prev_slash, int next_slash)
{
	size_t i = 0, run = 0;
	int err;

	while (i < n) {
		if (s[i] == '\\' && i + 1 < n) {
			i += 2;
			continue;
		}
		if (s[i] == '@' && i + 1 < n && s[i + 1] == '{') {
			size_t j = i + 2;

			while (j < n && s[j] != '}')
				j++;
			if (j >= n || !aare_name_ok(s + i + 2, j - i - 2)) {
				ex->error = "bad variable reference";
				return -EINVAL;
			}
			if ((err = aare_buf_put(out, s + run, i - run)) != 0)
				return err;
			err = aare_expand_var(ex, out, s + i + 2, j - i - 2,
			    (out->len > 0 && out->p[out->len - 1] == '/') ||
			    (i == 0 && prev_slash),
			    j + 1 < n ? s[j + 1] == '/' : next_slash);
			if (err != 0)
				return err;
			i = run = j + 1;
			continue;
		}
		i++;
	}
	return aare_buf_put(out, s + run, n - run);
}

/* ------------------------------------------------------------------ NFA */

enum aare_op {
	AARE_BYTE,	/* consume byte, go to out */
	AARE_SET,	/* consume a byte of sets[set], go to out */
	AARE_SPLIT,	/* go to out and out2 */
	AARE_EPS,	/* go to out */
	AARE_MATCH,
};

struct aare_node {
	uint8_t	 op;
	uint8_t	 byte;
	uint32_t set;
	int32_t	 out, out2;
};

struct aare_set {
	uint8_t	 bits[32];
};

struct aare {
	struct aare_node *nodes;
	size_t		 n, cap;
	struct aare_set	*sets;
	size_t		 nsets, setcap;
	int32_t		 start;
	bool		 literal;
	/*
	 * The forced start of the NFA: from start, a chain of BYTE (and EPS)
	 * nodes that every match must walk, as bytes in prefix, and the node
	 * the chain ends at.  aare_match() compares those bytes with memcmp
	 * and runs the NFA only from there (most names a policy tries are
	 * refused in their first bytes, and a glob over siblings shares its
	 * whole directory); exact when that node is the match itself.
	 */
	char		*prefix;
	size_t		 nprefix;
	int32_t		 after;
	bool		 exact;
	/*
	 * Likewise the bytes every match ends with (the chain of BYTE nodes
	 * before the match that each have one way in): "@{PROC}/@{pid}/maps"
	 * refuses "/proc/1/stat" at its last byte, not after running the
	 * alternation of @{pid}.
	 */
	char		*suffix;
	size_t		 nsuffix;
	int32_t		 suffix_entry;	/* its first node (the match: none) */
	/*
	 * When the rest is one star, prefix SET* suffix (the shape of every
	 * sibling glob the learner checks against its evidence): the set,
	 * and a match is a scan of the middle bytes.  -1 otherwise.
	 */
	int32_t		 star_set;
	struct aare_dfa	*dfa;		/* see aare_dfa_match */
};

/*
 * A DFA built from the NFA as names are matched: each state is the set of
 * NFA nodes (and whether the match is among them) the simulation would
 * hold, each transition computed the first time a byte is seen in that
 * state.  Why: the rules of a policy are matched against tens of
 * thousands of names, and "@{PROC}/@{pid}/maps" or a rule of "**" kept
 * the NFA simulation busy with the same sets over and over.  At most
 * AARE_DFA_STATES states; past that (or without memory) the NFA answers,
 * so an answer never depends on the cache.  The cache is the one thing
 * aare_match() changes: an aare must not be matched from two threads at
 * once (the learner has none).
 */
#define AARE_DFA_STATES	64
#define DFA_UNKNOWN	(-1)
#define DFA_DEAD	(-2)

struct aare_dfa {
	/* made on the first match: most compiled patterns never run */
	int16_t	**row;			/* 256 transitions each */
	uint32_t *set;			/* the states' nodes, one after another */
	size_t	 setlen, setcap;
	size_t	*start;			/* of each state in set, and the end */
	bool	*accept;
	size_t	 nstates;
	bool	 off;			/* full or out of memory: NFA only */
	/* scratch for computing a state, sized for the NFA */
	int32_t	*list, *stack;
	uint32_t *mark, gen;
};

/* A piece of NFA: enter at start, leave through end's out. */
struct aare_frag {
	int32_t	 start, end;
};

struct aare_parse {
	struct aare	*a;
	const char	*p, *end;
	int		 last_slash;	/* the last atom was a literal '/' */
	const char	*error;
};

static int32_t
aare_node_new(struct aare *a, uint8_t op)
{
	if (a->n >= AARE_MAX_NODES)
		return -E2BIG;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		struct aare_node *nn = realloc(a->nodes, cap * sizeof(*nn));

		if (nn == NULL)
			return -ENOMEM;
		a->nodes = nn;
		a->cap = cap;
	}
	memset(&a->nodes[a->n], 0, sizeof(a->nodes[0]));
	a->nodes[a->n].op = op;
	a->nodes[a->n].out = -1;
	a->nodes[a->n].out2 = -1;
	return (int32_t)a->n++;
}

static int32_t
aare_set_add(struct aare *a, const struct aare_set *s)
{
	size_t i;

	for (i = 0; i < a->nsets; i++)
		if (memcmp(a->sets[i].bits, s->bits, sizeof(s->bits)) == 0)
			return (int32_t)i;
	if (a->nsets == a->setcap) {
		size_t cap = a->setcap ? a->setcap * 2 : 4;
		struct aare_set *ns = realloc(a->sets, cap * sizeof(*ns));

		if (ns == NULL)
			return -ENOMEM;
		a->sets = ns;
		a->setcap = cap;
	}
	a->sets[a->nsets] = *s;
	return (int32_t)a->nsets++;
}

static void
set_add(struct aare_set *s, unsigned c)
{
	s->bits[c >> 3] |= (uint8_t)(1u << (c & 7));
}

static int
set_has(const struct aare_set *s, unsigned c)
{
	return (s->bits[c >> 3] >> (c & 7)) & 1;
}

/* One consuming node for a set; the fragment is the node itself. */
static int
aare_frag_set(struct aare *a, const struct aare_set *s, struct aare_frag *f)
{
	int32_t set, n;

	if ((set = aare_set_add(a, s)) < 0)
		return set;
	if ((n = aare_node_new(a, AARE_SET)) < 0)
		return n;
	a->nodes[n].set = (uint32_t)set;
	f->start = f->end = n;
	return 0;
}

static int
aare_frag_byte(struct aare *a, uint8_t c, struct aare_frag *f)
{
	int32_t n;

	if ((n = aare_node_new(a, AARE_BYTE)) < 0)
		return n;
	a->nodes[n].byte = c;
	f->start = f->end = n;
	return 0;
}

static int
aare_frag_eps(struct aare *a, struct aare_frag *f)
{
	int32_t n;

	if ((n = aare_node_new(a, AARE_EPS)) < 0)
		return n;
	f->start = f->end = n;
	return 0;
}

/* f = f then g */
static void
aare_cat(struct aare *a, struct aare_frag *f, const struct aare_frag *g)
{
	a->nodes[f->end].out = g->start;
	f->end = g->end;
}

/* Every byte but NUL, and but '/' unless slash. */
static void
set_glob(struct aare_set *s, int slash)
{
	memset(s->bits, 0xff, sizeof(s->bits));
	s->bits[0] &= (uint8_t)~1u;
	if (!slash)
		s->bits['/' >> 3] &= (uint8_t)~(1u << ('/' & 7));
}

/* A loop over set s: zero or more bytes. */
static int
aare_frag_star(struct aare *a, const struct aare_set *s, struct aare_frag *f)
{
	struct aare_frag body;
	int32_t split;
	int err;

	if ((err = aare_frag_set(a, s, &body)) != 0)
		return err;
	if ((split = aare_node_new(a, AARE_SPLIT)) < 0)
		return split;
	a->nodes[split].out2 = body.start;
	a->nodes[body.end].out = split;
	f->start = f->end = split;	/* leaves through split's out */
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * The byte an escape stands for; p points after the backslash, *pp is
 * advanced past the escape.
 */
static uint8_t
aare_escape(const char **pp, const char *end)
{
	const char *p = *pp;
	unsigned v = 0;
	int k, d;
	char c = *p;

	if (c >= '0' && c <= '7') {
		for (k = 0; k < 3 && p < end && *p >= '0' && *p <= '7' &&
		    v * 8 + (unsigned)(*p - '0') <= 255; k++, p++)
			v = v * 8 + (unsigned)(*p - '0');
		*pp = p;
		return (uint8_t)v;
	}
	p++;
	switch (c) {
	case 'd':
		for (k = 0; k < 3 && p < end && *p >= '0' && *p <= '9' &&
		    v * 10 + (unsigned)(*p - '0') <= 255; k++, p++)
			v = v * 10 + (unsigned)(*p - '0');
		if (k == 0)
			break;
		*pp = p;
		return (uint8_t)v;
	case 'x':
		for (k = 0; k < 2 && p < end && (d = hexval(*p)) >= 0;
		    k++, p++)
			v = v * 16 + (unsigned)d;
		if (k == 0)
			break;
		*pp = p;
		return (uint8_t)v;
	case 'a': *pp = p; return '\a';
	case 'e': *pp = p; return 033;
	case 'f': *pp = p; return '\f';
	case 'n': *pp = p; return '\n';
	case 'r': *pp = p; return '\r';
	case 't': *pp = p; return '\t';
	default:
		break;
	}
	*pp = p;
	return (uint8_t)c;
}

/* After '['; reads up to and including the closing ']'. */
static int
aare_parse_class(struct aare_parse *ps, struct aare_frag *f)
{
	struct aare_set s;
	int negate = 0, n = 0, prev = -1;
	unsigned c;

	memset(&s, 0, sizeof(s));
	if (ps->p < ps->end && *ps->p == '^') {
		negate = 1;
		ps->p++;
	}
	for (;;) {
		int cur;

		if (ps->p >= ps->end) {
			ps->error = "unclosed [";
			return -EINVAL;
		}
		if (*ps->p == ']') {
			ps->p++;
			break;
		}
		if (*ps->p == '*' || *ps->p == '?') {
			/* apparmor_parser 3.0.8 turns these into globs even
			 * inside [] ("[*]" compiles to "[[^/]*]"): no rule
			 * with them means what it says */
			ps->error = "'*' or '?' inside []";
			return -EINVAL;
		}
		if (*ps->p == '-' && n > 0 && ps->p + 1 < ps->end &&
		    ps->p[1] == ']') {
			/* the parser refuses "[a-]" */
			ps->error = "'-' at the end of []";
			return -EINVAL;
		}
		if (*ps->p == '-' && prev >= 0 && ps->p + 1 < ps->end &&
		    ps->p[1] != ']') {
			int hi;

			ps->p++;
			if (*ps->p == '\\') {
				ps->p++;
				if (ps->p >= ps->end) {
					ps->error = "trailing \\";
					return -EINVAL;
				}
				hi = aare_escape(&ps->p, ps->end);
			} else {
				hi = (uint8_t)*ps->p++;
			}
			/* the parser reads "[z-a]" as "[a-z]" */
			if (hi < prev) {
				int t = hi;

				hi = prev;
				prev = t;
			}
			for (c = (unsigned)prev; c <= (unsigned)hi; c++)
				set_add(&s, c);
			prev = -1;
			n++;
			continue;
		}
		if (*ps->p == '\\') {
			ps->p++;
			if (ps->p >= ps->end) {
				ps->error = "trailing \\";
				return -EINVAL;
			}
			cur = aare_escape(&ps->p, ps->end);
		} else {
			cur = (uint8_t)*ps->p++;
		}
		set_add(&s, (unsigned)cur);
		prev = cur;
		n++;
	}
	if (n == 0) {
		ps->error = "empty []";
		return -EINVAL;
	}
	if (negate)
		for (c = 0; c < 32; c++)
			s.bits[c] = (uint8_t)~s.bits[c];
	s.bits[0] &= (uint8_t)~1u;	/* never NUL */
	return aare_frag_set(ps->a, &s, f);
}

static int aare_parse_seq(struct aare_parse *, int depth, int in_group,
    struct aare_frag *);

/* After '{': alternatives up to the matching '}'. */
static int
aare_parse_group(struct aare_parse *ps, int depth, struct aare_frag *f)
{
	struct aare *a = ps->a;
	struct aare_frag alt, join;
	int32_t split, prev = -1;
	int err, commas = 0;

	if (depth >= AARE_MAX_DEPTH) {
		ps->error = "{} nest too deep";
		return -E2BIG;
	}
	if ((err = aare_frag_eps(a, &join)) != 0)
		return err;
	for (;;) {
		/* after '{' or ',' the last thing written is not a '/' */
		ps->last_slash = 0;
		if ((err = aare_parse_seq(ps, depth + 1, 1, &alt)) != 0)
			return err;
		if ((split = aare_node_new(a, AARE_SPLIT)) < 0)
			return split;
		a->nodes[split].out2 = alt.start;
		a->nodes[alt.end].out = join.start;
		if (prev < 0)
			f->start = split;
		else
			a->nodes[prev].out = split;
		prev = split;
		if (ps->p >= ps->end) {
			ps->error = "unclosed {";
			return -EINVAL;
		}
		if (*ps->p++ == '}')
			break;
		commas++;	/* it was ',' */
	}
	if (commas == 0) {
		ps->error = "{} without ','";
		return -EINVAL;
	}
	/* the last split's out would be a dead end: make it the join */
	a->nodes[prev].out = -1;
	f->end = join.end;
	return 0;
}

static int
aare_parse_seq(struct aare_parse *ps, int depth, int in_group,
    struct aare_frag *ret)
{
	struct aare *a = ps->a;
	struct aare_frag f, atom;
	struct aare_set s;
	int err;

	if ((err = aare_frag_eps(a, &f)) != 0)
		return err;
	while (ps->p < ps->end) {
		char c = *ps->p;
		int slash = 0;

		if (in_group && (c == ',' || c == '}'))
			break;
		switch (c) {
		case '\\':
			ps->p++;
			if (ps->p >= ps->end) {
				ps->error = "trailing \\";
				return -EINVAL;
			}
			{
				uint8_t b = aare_escape(&ps->p, ps->end);

				err = aare_frag_byte(a, b, &atom);
				slash = b == '/';
			}
			break;
		case '*': {
			const char *q = ps->p;
			int two = ps->p + 1 < ps->end && ps->p[1] == '*';

			a->literal = false;
			while (q < ps->end && *q == '*')
				q++;
			if (ps->last_slash && (q == ps->end || *q == '/')) {
				/* "/" + stars + "/" or end: at least one */
				set_glob(&s, 0);
				if ((err = aare_frag_set(a, &s, &atom)) != 0)
					return err;
				aare_cat(a, &f, &atom);
			}
			set_glob(&s, two);
			err = aare_frag_star(a, &s, &atom);
			ps->p += two ? 2 : 1;
			break;
		}
		case '?':
			a->literal = false;
			set_glob(&s, 0);
			err = aare_frag_set(a, &s, &atom);
			ps->p++;
			break;
		case '[':
			a->literal = false;
			ps->p++;
			err = aare_parse_class(ps, &atom);
			break;
		case ']':
			ps->error = "] without [";
			return -EINVAL;
		case '{':
			a->literal = false;
			ps->p++;
			err = aare_parse_group(ps, depth, &atom);
			break;
		case '}':
			ps->error = "} without {";
			return -EINVAL;
		default:
			err = aare_frag_byte(a, (uint8_t)c, &atom);
			slash = c == '/';
			ps->p++;
			break;
		}
		if (err != 0)
			return err;
		aare_cat(a, &f, &atom);
		ps->last_slash = slash;
	}
	*ret = f;
	return 0;
}

static void aare_dfa_free(struct aare_dfa *);

void
aare_free(struct aare *a)
{
	if (a == NULL)
		return;
	free(a->nodes);
	free(a->sets);
	free(a->prefix);
	free(a->suffix);
	aare_dfa_free(a->dfa);
	free(a);
}

/*
 * Fold runs of '/' in place, as apparmor_parser's filter_slashes does to
 * file rules: a leading "//" followed by something else is kept (a
 * distinct namespace for Linux).
 */
static void
aare_fold_slashes(struct aare_buf *b)
{
	size_t i = 0, o = 0;
	int seen = 0;

	if (b->len < 2)
		return;
	if (b->p[0] == '/' && b->p[1] == '/' && (b->len == 2 || b->p[2] != '/'))
		i = o = 2;
	for (; i < b->len; i++) {
		if (b->p[i] == '/') {
			if (seen)
				continue;
			seen = 1;
		} else {
			seen = 0;
		}
		b->p[o++] = b->p[i];
	}
	b->len = o;
	b->p[o] = '\0';
}

/*
 * Walk the chain of nodes every match starts with (see struct aare).  The
 * state set of the simulation along it is one node at a time, whatever
 * else points into it, so skipping it with a memcmp changes no answer.
 */
static int
aare_forced_prefix(struct aare *a)
{
	int32_t x = a->start;
	size_t n = 0, steps = 0;

	if ((a->prefix = malloc(a->n + 1)) == NULL)
		return -ENOMEM;
	while (x >= 0 && steps++ <= a->n) {
		const struct aare_node *nd = &a->nodes[x];

		if (nd->op == AARE_EPS)
			x = nd->out;
		else if (nd->op == AARE_BYTE) {
			a->prefix[n++] = (char)nd->byte;
			x = nd->out;
		} else
			break;
	}
	a->nprefix = n;
	a->after = x;
	a->exact = x >= 0 && a->nodes[x].op == AARE_MATCH;
	return 0;
}

static void
aare_pred_note(uint32_t *npred, int32_t *pred, int32_t from, int32_t to,
    size_t n)
{
	if (to < 0 || (size_t)to >= n)
		return;
	if (npred[to] < 2)
		npred[to]++;
	pred[to] = from;
}

/*
 * Walk back from the match while each node has exactly one predecessor
 * (any edge, reachable or not, counts): every path to the match then
 * passes through the chain, so every matched name ends with its bytes.
 * A path may also begin at start, so the walk stops there.
 */
static int
aare_forced_suffix(struct aare *a, int32_t m)
{
	uint32_t *npred = calloc(a->n + 1, sizeof(*npred));
	int32_t *pred = calloc(a->n + 1, sizeof(*pred));
	char *rev = malloc(a->n + 1);
	size_t n = 0, steps = 0;
	int32_t x = m, entry = m;

	if (npred == NULL || pred == NULL || rev == NULL) {
		free(npred);
		free(pred);
		free(rev);
		return -ENOMEM;
	}
	for (size_t i = 0; i < a->n; i++) {
		const struct aare_node *nd = &a->nodes[i];

		if (nd->op == AARE_MATCH)
			continue;
		aare_pred_note(npred, pred, (int32_t)i, nd->out, a->n);
		if (nd->op == AARE_SPLIT)
			aare_pred_note(npred, pred, (int32_t)i, nd->out2, a->n);
	}
	while (x != a->start && npred[x] == 1 && steps++ <= a->n) {
		const struct aare_node *nd;

		x = pred[x];
		nd = &a->nodes[x];
		if (nd->op == AARE_BYTE) {
			rev[n++] = (char)nd->byte;
			entry = x;
		} else if (nd->op != AARE_EPS)
			break;
	}
	for (size_t i = 0; i < n / 2; i++) {
		char t = rev[i];

		rev[i] = rev[n - 1 - i];
		rev[n - 1 - i] = t;
	}
	free(npred);
	free(pred);
	a->suffix = rev;
	a->nsuffix = n;
	a->suffix_entry = entry;
	return 0;
}

/*
 * Whether the NFA is prefix, then a star over one set, then suffix: after
 * the prefix a SPLIT whose out2 is a SET node looping straight back to
 * it, and whose out reaches the suffix's first node through EPS alone.
 * Then the names it matches are exactly prefix . set* . suffix.
 */
static void
aare_star_shape(struct aare *a)
{
	const struct aare_node *sp, *body;
	int32_t x;
	size_t steps = 0;

	a->star_set = -1;
	if (a->exact || a->after < 0 || a->nodes[a->after].op != AARE_SPLIT)
		return;
	sp = &a->nodes[a->after];
	if (sp->out2 < 0 || a->nodes[sp->out2].op != AARE_SET)
		return;
	body = &a->nodes[sp->out2];
	if (body->out != a->after)
		return;
	for (x = sp->out; x >= 0 && x != a->suffix_entry &&
	    a->nodes[x].op == AARE_EPS && steps++ <= a->n; x = a->nodes[x].out)
		;
	if (x != a->suffix_entry)
		return;
	a->star_set = (int32_t)body->set;
}

static int
aare_compile_common(const char *pattern, size_t len,
    const struct aare_vars *vars, int fold, struct aare **ret,
    const char **ret_error)
{
	struct aare_expand ex;
	struct aare_buf text = { NULL, 0, 0 };
	struct aare_parse ps;
	struct aare_frag f;
	struct aare *a = NULL;
	int32_t m;
	int err;

	memset(&ex, 0, sizeof(ex));
	memset(&ps, 0, sizeof(ps));
	if (pattern == NULL || ret == NULL) {
		ex.error = "no pattern";
		err = -EINVAL;
		goto fail;
	}
	if (len > AARE_MAX_PATTERN) {
		ex.error = "pattern too long";
		err = -E2BIG;
		goto fail;
	}
	if (memchr(pattern, '\0', len) != NULL) {
		ex.error = "NUL byte in pattern";
		err = -EINVAL;
		goto fail;
	}
	ex.vars = vars;
	ex.path = fold;
	if ((err = aare_buf_put(&text, "", 0)) != 0 ||
	    (err = aare_expand_text(&ex, &text, pattern, len, 0, 0)) != 0) {
		if (err == -E2BIG && ex.error == NULL)
			ex.error = "pattern too long after variable expansion";
		goto fail;
	}
	if (fold)
		aare_fold_slashes(&text);
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		err = -ENOMEM;
		goto fail;
	}
	a->literal = true;
	ps.a = a;
	ps.p = text.p;
	ps.end = text.p + text.len;
	if ((err = aare_parse_seq(&ps, 0, 0, &f)) != 0) {
		ex.error = ps.error;
		if (err == -E2BIG && ex.error == NULL)
			ex.error = "pattern too large";
		goto fail;
	}
	if ((m = aare_node_new(a, AARE_MATCH)) < 0) {
		err = m;
		ex.error = "pattern too large";
		goto fail;
	}
	a->nodes[f.end].out = m;
	a->start = f.start;
	if ((err = aare_forced_prefix(a)) != 0 ||
	    (err = aare_forced_suffix(a, m)) != 0) {
		ex.error = "out of memory";
		goto fail;
	}
	aare_star_shape(a);
	if ((a->dfa = calloc(1, sizeof(*a->dfa))) == NULL) {
		err = -ENOMEM;
		ex.error = "out of memory";
		goto fail;
	}
	free(text.p);
	*ret = a;
	return 0;
fail:
	free(text.p);
	aare_free(a);
	if (ret_error != NULL)
		*ret_error = ex.error != NULL ? ex.error :
		    err == -ENOMEM ? "out of memory" : "bad pattern";
	return err;
}

int
aare_compile(const char *pattern, size_t len, const struct aare_vars *vars,
    struct aare **ret, const char **ret_error)
{
	return aare_compile_common(pattern, len, vars, 0, ret, ret_error);
}

int
aare_compile_path(const char *pattern, size_t len,
    const struct aare_vars *vars, struct aare **ret, const char **ret_error)
{
	return aare_compile_common(pattern, len, vars, 1, ret, ret_error);
}

/* ----------------------------------------------------------- matching */

struct aare_run {
	int32_t	*cur, *next, *stack;
	uint32_t *mark;
	size_t	 ncur, nnext;
	uint32_t gen;
};

/* Add state s and everything reachable by epsilon moves to list. */
static int
aare_add(const struct aare *a, struct aare_run *r, int32_t *list, size_t *n,
    int32_t s)
{
	size_t sp = 0;
	int match = 0;

	r->stack[sp++] = s;
	while (sp > 0) {
		int32_t x = r->stack[--sp];
		const struct aare_node *nd;

		if (x < 0 || r->mark[x] == r->gen)
			continue;
		r->mark[x] = r->gen;
		nd = &a->nodes[x];
		switch (nd->op) {
		case AARE_SPLIT:
			r->stack[sp++] = nd->out2;
			r->stack[sp++] = nd->out;
			break;
		case AARE_EPS:
			r->stack[sp++] = nd->out;
			break;
		case AARE_MATCH:
			match = 1;
			break;
		default:
			list[(*n)++] = x;
			break;
		}
	}
	return match;
}

/* The NFA simulation of name from a->after (the prefix consumed). */
static bool
aare_nfa_match(const struct aare *a, const char *name, size_t len)
{
	struct aare_run r;
	int32_t small[4 * 128 + 1];
	uint32_t smallmark[128];
	int32_t *heap = NULL, *tmp;
	uint32_t *heapmark = NULL;
	size_t i, j;
	int match;

	if (a->n <= 128) {
		r.cur = small;
		r.next = small + 128;
		r.stack = small + 256;	/* 2n+1: each node pushes 2, once */
		r.mark = smallmark;
	} else {
		heap = malloc((4 * a->n + 1) * sizeof(int32_t));
		heapmark = malloc(a->n * sizeof(uint32_t));
		if (heap == NULL || heapmark == NULL) {
			/* no memory: say "no match", the safe answer for a
			 * caller asking whether a rule already covers this */
			free(heap);
			free(heapmark);
			return false;
		}
		r.cur = heap;
		r.next = heap + a->n;
		r.stack = heap + 2 * a->n;
		r.mark = heapmark;
	}
	memset(r.mark, 0, a->n * sizeof(uint32_t));
	r.gen = 1;
	r.ncur = 0;
	match = aare_add(a, &r, r.cur, &r.ncur, a->after);
	for (i = 0; i < len && r.ncur > 0; i++) {
		uint8_t c = (uint8_t)name[i];

		r.gen++;
		r.nnext = 0;
		match = 0;
		for (j = 0; j < r.ncur; j++) {
			const struct aare_node *nd = &a->nodes[r.cur[j]];
			int ok = nd->op == AARE_BYTE ? nd->byte == c :
			    set_has(&a->sets[nd->set], c);

			if (ok)
				match |= aare_add(a, &r, r.next, &r.nnext,
				    nd->out);
		}
		tmp = r.cur;
		r.cur = r.next;
		r.next = tmp;
		r.ncur = r.nnext;
	}
	if (i < len)
		match = 0;
	free(heap);
	free(heapmark);
	return match != 0;
}

static void
aare_dfa_free(struct aare_dfa *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->nstates; i++)
		free(d->row[i]);
	free(d->row);
	free(d->start);
	free(d->accept);
	free(d->set);
	free(d->list);
	free(d->stack);
	free(d->mark);
	free(d);
}

/*
 * The state of nodes list[0..n) and match flag m: an existing one, or a
 * new one.  Returns its index, or -1 when no state can be made.
 */
static int
aare_dfa_state(struct aare_dfa *d, int32_t *list, size_t n, bool m)
{
	size_t k;
	int16_t *row;

	/* sorted, so that one set is one state */
	for (size_t i = 1; i < n; i++) {
		int32_t v = list[i];

		for (k = i; k > 0 && list[k - 1] > v; k--)
			list[k] = list[k - 1];
		list[k] = v;
	}
	for (k = 0; k < d->nstates; k++)
		if (d->accept[k] == m && d->start[k + 1] - d->start[k] == n &&
		    (n == 0 || memcmp(d->set + d->start[k], list,
		    n * sizeof(*list)) == 0))
			return (int)k;
	if (d->nstates == AARE_DFA_STATES)
		return -1;
	if (d->setlen + n > d->setcap) {
		size_t cap = d->setcap ? d->setcap : 64;
		uint32_t *v;

		while (cap < d->setlen + n)
			cap *= 2;
		if ((v = realloc(d->set, cap * sizeof(*v))) == NULL)
			return -1;
		d->set = v;
		d->setcap = cap;
	}
	if ((row = malloc(256 * sizeof(*row))) == NULL)
		return -1;
	for (int c = 0; c < 256; c++)
		row[c] = DFA_UNKNOWN;
	if (n > 0)
		memcpy(d->set + d->setlen, list, n * sizeof(*list));
	d->setlen += n;
	k = d->nstates++;
	d->row[k] = row;
	d->accept[k] = m;
	d->start[k + 1] = d->setlen;
	return (int)k;
}

/* The scratch and the first state (the closure of a->after). */
static int
aare_dfa_init(const struct aare *a, struct aare_dfa *d)
{
	struct aare_run r;
	size_t n = 0;
	int m;

	d->row = calloc(AARE_DFA_STATES, sizeof(*d->row));
	d->start = calloc(AARE_DFA_STATES + 1, sizeof(*d->start));
	d->accept = calloc(AARE_DFA_STATES, sizeof(*d->accept));
	d->list = malloc((a->n + 1) * sizeof(*d->list));
	d->stack = malloc((2 * a->n + 1) * sizeof(*d->stack));
	d->mark = calloc(a->n + 1, sizeof(*d->mark));
	if (d->row == NULL || d->start == NULL || d->accept == NULL ||
	    d->list == NULL || d->stack == NULL || d->mark == NULL)
		return -1;
	d->gen = 1;
	r.stack = d->stack;
	r.mark = d->mark;
	r.gen = d->gen;
	m = aare_add(a, &r, d->list, &n, a->after);
	return aare_dfa_state(d, d->list, n, m != 0);
}

/* The state after byte c in state s (computed and kept if new). */
static int
aare_dfa_step(const struct aare *a, struct aare_dfa *d, int s, uint8_t c)
{
	struct aare_run r;
	size_t n = 0;
	int m = 0, t;

	if (d->gen == UINT32_MAX) {
		memset(d->mark, 0, a->n * sizeof(*d->mark));
		d->gen = 0;
	}
	r.stack = d->stack;
	r.mark = d->mark;
	r.gen = ++d->gen;
	for (size_t j = d->start[s]; j < d->start[s + 1]; j++) {
		const struct aare_node *nd = &a->nodes[d->set[j]];
		int ok = nd->op == AARE_BYTE ? nd->byte == c :
		    set_has(&a->sets[nd->set], c);

		if (ok)
			m |= aare_add(a, &r, d->list, &n, nd->out);
	}
	if (n == 0 && !m)
		t = DFA_DEAD;
	else if ((t = aare_dfa_state(d, d->list, n, m != 0)) < 0)
		return -1;
	d->row[s][c] = (int16_t)t;
	return t;
}

/* 1 or 0, or -1 when the DFA cannot answer (the NFA must). */
static int
aare_dfa_match(const struct aare *a, const char *name, size_t len)
{
	struct aare_dfa *d = a->dfa;
	int s = 0;

	if (d == NULL || d->off)
		return -1;
	if (d->nstates == 0 && aare_dfa_init(a, d) != 0) {
		d->off = true;
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)name[i];
		int t = d->row[s][c];

		if (t == DFA_UNKNOWN && (t = aare_dfa_step(a, d, s, c)) == -1) {
			d->off = true;
			return -1;
		}
		if (t == DFA_DEAD)
			return 0;
		s = t;
	}
	return d->accept[s] ? 1 : 0;
}

bool
aare_match(const struct aare *a, const char *name, size_t len)
{
	int r;

	if (a == NULL || name == NULL || memchr(name, '\0', len) != NULL)
		return false;
	if (len < a->nprefix || memcmp(name, a->prefix, a->nprefix) != 0)
		return false;
	if (len < a->nsuffix || memcmp(name + len - a->nsuffix, a->suffix,
	    a->nsuffix) != 0)
		return false;
	if (a->exact)
		return len == a->nprefix;
	if (a->after < 0)
		return false;
	if (a->star_set >= 0) {
		const struct aare_set *set = &a->sets[a->star_set];

		if (len < a->nprefix + a->nsuffix)
			return false;
		for (size_t i = a->nprefix; i < len - a->nsuffix; i++)
			if (!set_has(set, (uint8_t)name[i]))
				return false;
		return true;
	}
	name += a->nprefix;
	len -= a->nprefix;
	if ((r = aare_dfa_match(a, name, len)) >= 0)
		return r == 1;
	return aare_nfa_match(a, name, len);
}

int
aare_match_once(const char *pattern, const struct aare_vars *vars,
    const char *name)
{
	struct aare *a;
	int err;
	bool m;

	if (pattern == NULL || name == NULL)
		return -EINVAL;
	if ((err = aare_compile(pattern, strlen(pattern), vars, &a,
	    NULL)) != 0)
		return err;
	m = aare_match(a, name, strlen(name));
	aare_free(a);
	return m ? 1 : 0;
}

bool
aare_is_literal(const struct aare *a)
{
	return a != NULL && a->literal;
}
