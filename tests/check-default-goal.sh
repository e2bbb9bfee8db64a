#!/bin/sh
# check-default-goal.sh [MAKEFILE]: fail unless `make` with no target builds
# what `make all` builds, i.e. the default goal of the top Makefile is `all`
# (an included fragment such as python/python.mk must not take it).
#
# A probe makefile read after the real one prints .DEFAULT_GOAL; it only
# defines a target named on the command line, so nothing is built.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
mk=${1:-$here/Makefile}
probe=$(mktemp)
trap 'rm -f "$probe"' EXIT
printf 'print-default-goal-probe:\n\t@echo "$(.DEFAULT_GOAL)"\n' > "$probe"
goal=$(cd "$(dirname "$mk")" && ${MAKE:-make} --no-print-directory -s -f "$mk" -f "$probe" print-default-goal-probe)
if [ "$goal" != all ]; then
	echo "FAIL: the default goal of $mk is '$goal', want 'all' (\`make\` would not build everything)" >&2
	exit 1
fi
echo "PASS: the default goal of $mk is all"
