#!/bin/bash
# The README's command reference is the program's own help, word for word,
# and its quick start is exactly the two commands.
set -euo pipefail
src=${AALEARN_SOURCE_DIR:?}
bin=${AALEARN_BIN:?}
readme=$src/README.md
fail=0

# Every fenced block in the reference section, in order.
blocks=$(awk '/^## Command reference/ { on = 1; next } /^## / { on = 0 }
	on && /^```/ { inb = !inb; if (!inb) print "\x1e"; next }
	on && inb { print }' "$readme")

expect=$("$bin" --help)
for c in $("$bin" --help | awk '/^Commands:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }'); do
	expect+=$'\n\x1e\n'
	expect+=$("$bin" "$c" --help | sed '/^Global options (--db/,$d' | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}')
done
expect+=$'\n\x1e'
if [ "$blocks" != "$expect" ]; then
	echo "README.md's command reference differs from aalearn --help:"
	diff <(printf '%s\n' "$expect") <(printf '%s\n' "$blocks") || true
	fail=1
fi

quick=$(awk '/^## Quick start/ { on = 1; next } /^## / { on = 0 }
	on && /^```/ { inb = !inb; next } on && inb { print $1, $2 }' "$readme")
if [ "$quick" != $'make demo\nmake check' ]; then
	echo "README.md's quick start is not exactly 'make demo' and 'make check':"
	echo "$quick"
	fail=1
fi
exit $fail
