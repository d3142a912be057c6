#!/bin/sh
# Fails when DIR holds a sanitizer or valgrind report: any non-empty file
# with a line other than valgrind's own "--PID-- ..." notices (such as an
# unhandled syscall, which eisd answers by falling back). Used by
# make asan / make valgrind after the suite has run.
dir=$1
found=0
for f in "$dir"/*; do
	[ -s "$f" ] || continue
	if grep -qvE '^(--[0-9]+-- |$)' "$f"; then
		echo "== report: $f"
		head -n 80 "$f"
		found=1
	fi
done
if [ "$found" = 1 ]; then
	echo "sanitizer/valgrind reports found in $dir" >&2
	exit 1
fi
exit 0
