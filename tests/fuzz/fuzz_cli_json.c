/*
 * fuzz_cli_json - the CLI's only JSON: json_string() (and text_safe(), its
 * terminal twin) in cli/output.c on any bytes.  aalearn reads no JSON; what
 * it writes with --json must be read back exactly by any strict reader.
 *
 * Input: NUL-separated segments, each one C string handed to json_string().
 * Invariants, each an abort:
 *   - the output is exactly one JSON string (RFC 8259 section 7: quoted,
 *     no raw control character, only the defined escapes, \u with four hex
 *     digits, a high surrogate only followed by a low one, raw bytes valid
 *     UTF-8 without surrogates, overlong forms or values past U+10FFFF);
 *   - decoding it, with a lone low surrogate \udc80-\udcff standing for the
 *     byte 0x80-0xff (PEP 383), gives exactly the input bytes, and no other
 *     lone surrogate appears;
 *   - text_safe() writes no control byte and valid UTF-8 only, and undoing
 *     its \\ and \xHH gives exactly the input bytes.
 *
 * The decoder here is written from the RFC, not from output.c.  cli/output.c
 * is compiled into this target (tests/CMakeLists.txt, fuzz_cli_* rule).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
die(const char *why, const char *out, size_t n)
{
	fprintf(stderr, "fuzz_cli_json: %s: ", why);
	fwrite(out, 1, n, stderr);
	fputc('\n', stderr);
	abort();
}

/* Length of a strict UTF-8 sequence at s (at most n bytes), 0 if none. */
static size_t
utf8_seq(const unsigned char *s, size_t n, uint32_t *ret_cp)
{
	uint32_t cp, min;
	size_t len;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*ret_cp = s[0];
		return 1;
	} else if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2, cp = s[0] & 0x1f, min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3, cp = s[0] & 0x0f, min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4, cp = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*ret_cp = cp;
	return len;
}

static int
hex4(const char *s, size_t n, uint32_t *ret)
{
	uint32_t v = 0;

	if (n < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*ret = v;
	return 0;
}

static size_t
put_utf8(unsigned char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | cp >> 12);
		o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | cp >> 18);
	o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Decode one whole JSON string s[0..n) into o (at least n bytes): the
 * decoded length, or -1 when it is not exactly one valid JSON string.
 */
static long
json_decode(const char *s, size_t n, unsigned char *o)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 1, k = 0;

	if (n < 2 || s[0] != '"')
		return -1;
	while (i < n) {
		uint32_t cp, lo;
		size_t l;

		if (u[i] == '"')
			return i + 1 == n ? (long)k : -1;
		if (u[i] < 0x20)
			return -1;
		if (u[i] != '\\') {
			if ((l = utf8_seq(u + i, n - i, &cp)) == 0)
				return -1;
			memcpy(o + k, u + i, l);
			k += l;
			i += l;
			continue;
		}
		if (++i >= n)
			return -1;
		switch (s[i]) {
		case '"': case '\\': case '/':
			o[k++] = u[i++];
			continue;
		case 'b': o[k++] = '\b'; i++; continue;
		case 'f': o[k++] = '\f'; i++; continue;
		case 'n': o[k++] = '\n'; i++; continue;
		case 'r': o[k++] = '\r'; i++; continue;
		case 't': o[k++] = '\t'; i++; continue;
		case 'u': break;
		default: return -1;
		}
		if (hex4(s + i + 1, n - i - 1, &cp) < 0)
			return -1;
		i += 5;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			/* a high surrogate: only as the first of a pair */
			if (i + 6 > n || s[i] != '\\' || s[i + 1] != 'u' ||
			    hex4(s + i + 2, n - i - 2, &lo) < 0 ||
			    lo < 0xdc00 || lo > 0xdfff)
				return -1;
			i += 6;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		} else if (cp >= 0xdc00 && cp <= 0xdfff) {
			/* lone low surrogate: PEP 383 byte, or nothing */
			if (cp < 0xdc80 || cp > 0xdcff)
				return -1;
			o[k++] = (unsigned char)(cp - 0xdc00);
			continue;
		}
		/* an escape is never longer in UTF-8 than in JSON (>= 6 bytes) */
		k += put_utf8(o + k, cp);
	}
	return -1;
}

static void
check_json(const char *in, size_t inlen)
{
	char *out = NULL;
	size_t n = 0;
	unsigned char *dec;
	long k;
	FILE *f = open_memstream(&out, &n);

	if (f == NULL)
		abort();
	json_string(f, in);
	if (fclose(f) != 0)
		abort();
	if ((dec = malloc(n + 1)) == NULL)
		abort();
	k = json_decode(out, n, dec);
	if (k < 0)
		die("not one valid JSON string", out, n);
	if ((size_t)k != inlen || memcmp(dec, in, inlen) != 0)
		die("JSON string does not decode to the input", out, n);
	free(dec);
	free(out);
}

static void
check_text(const char *in, size_t inlen)
{
	char *out = NULL;
	size_t n = 0, i = 0, k = 0;
	unsigned char *dec;
	const unsigned char *u;
	FILE *f = open_memstream(&out, &n);

	if (f == NULL)
		abort();
	text_safe(f, in);
	if (fclose(f) != 0)
		abort();
	u = (const unsigned char *)out;
	if ((dec = malloc(n + 1)) == NULL)
		abort();
	while (i < n) {
		uint32_t cp, v;
		size_t l;

		if (u[i] < 0x20 || u[i] == 0x7f)
			die("text_safe wrote a control byte", out, n);
		if (u[i] == '\\') {
			if (i + 1 < n && u[i + 1] == '\\') {
				dec[k++] = '\\';
				i += 2;
				continue;
			}
			if (i + 3 < n && u[i + 1] == 'x') {
				char h[5] = { '0', '0', out[i + 2], out[i + 3], 0 };

				if (hex4(h, 4, &v) < 0)
					die("text_safe: bad \\x escape", out, n);
				dec[k++] = (unsigned char)v;
				i += 4;
				continue;
			}
			die("text_safe: lone backslash", out, n);
		}
		if ((l = utf8_seq(u + i, n - i, &cp)) == 0)
			die("text_safe wrote invalid UTF-8", out, n);
		memcpy(dec + k, u + i, l);
		k += l;
		i += l;
	}
	if (k != inlen || memcmp(dec, in, inlen) != 0)
		die("text_safe output does not undo to the input", out, n);
	free(dec);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	size_t i = 0;

	if (buf == NULL)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	/* each NUL-terminated piece is one string */
	while (i <= size) {
		size_t l = strlen(buf + i);

		check_json(buf + i, l);
		check_text(buf + i, l);
		i += l + 1;
	}
	free(buf);
	{
		/* NULL is JSON null */
		char *out = NULL;
		size_t n = 0;
		FILE *f = open_memstream(&out, &n);

		if (f == NULL)
			abort();
		json_string(f, NULL);
		fclose(f);
		if (n != 4 || memcmp(out, "null", 4) != 0)
			abort();
		free(out);
	}
	return 0;
}
