#!/bin/sh
# Run every C test program in DIR: run-tests.sh [--valgrind VGLIBDIR] DIR.
# A test passes when it exits 0 and, if tests/c/NAME.expected exists, its
# stdout equals that file. Ends with "LABEL: N passed, N failed".
#
# With --valgrind each test runs twice under Memcheck:
#  1. against the library built with the Go runtime's valgrind annotations
#     (in VGLIBDIR: go build -tags valgrind), which describe goroutine
#     stacks to Memcheck; any memcheck error fails the test (valgrind.supp
#     suppresses only errors whose innermost frame is in the Go runtime).
#     Leak checking is off in this pass: valgrind 3.19 aborts on the
#     runtime's allocator annotations when it scans for leaks.
#  2. against the normal library with full leak checking; any definitely
#     lost block fails the test.
set -u
here=$(cd "$(dirname "$0")" && pwd)
label=c
vglib=""
if [ "${1:-}" = --valgrind ]; then
	label=c-valgrind
	vglib=$2
	shift 2
fi
dir=$1
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
vg="valgrind -q --suppressions=$here/valgrind.supp"

# run OUT CMD...: run a test in the scratch directory with a time limit,
# its stdout to $tmp/OUT.out, its stderr appended to $tmp/$name.err. (OUT
# has a variable of its own: the leak pass's "NAME.leaks" must not become
# the test's name, or its .expected file would never be compared.)
run() {
	out=$1
	shift
	(cd "$tmp" && timeout 600 "$@" > "$tmp/$out.out" 2>> "$tmp/$name.err")
}

for t in "$dir"/test-*; do
	name=$(basename "$t")
	: > "$tmp/$name.err"
	ok=1
	if [ -z "$vglib" ]; then
		run "$name" "$t" || ok=0
	else
		LD_LIBRARY_PATH="$vglib:${LD_LIBRARY_PATH:-}" run "$name" \
			$vg --leak-check=no --error-exitcode=99 "$t" || ok=0
		if [ $ok = 1 ]; then
			run "$name.leaks" $vg --leak-check=full --show-leak-kinds=definite \
				--errors-for-leak-kinds=definite "$t" || ok=0
			if grep -q 'definitely lost in loss record' "$tmp/$name.err"; then
				ok=0
			fi
		fi
	fi
	if [ $ok = 1 ] && [ -f "$here/$name.expected" ] && ! cmp -s "$here/$name.expected" "$tmp/$name.out"; then
		echo "--- $name: stdout differs from $name.expected:"
		diff "$here/$name.expected" "$tmp/$name.out" | head -20
		ok=0
	fi
	if [ $ok = 1 ]; then
		pass=$((pass + 1))
		echo "PASS $name"
	else
		fail=$((fail + 1))
		echo "FAIL $name"
		grep -v 'DW_FORM\|Serious error when reading debug\|When reading debug info' "$tmp/$name.err" | head -60
	fi
done
echo "$label: $pass passed, $fail failed"
[ $fail = 0 ]
