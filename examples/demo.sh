#!/bin/sh
# The main job: run every example against the build tree (`make demo`).
# Each language's example exercises as much as the landed actions allow;
# scripts that write disk images check them with the real tools themselves.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== C: examples/c/events.c"
./run sh -c "cc -Wall -Werror examples/c/events.c \$(pkg-config --cflags --libs goguestfs) -o '$out/events'"
./run "$out/events"

if [ -d build/python ] && [ -f examples/python/events.py ]; then
	echo "== Python: examples/python/events.py"
	./run python3 examples/python/events.py
fi
if [ -d build/ruby ] && [ -f examples/ruby/events.rb ]; then
	echo "== Ruby: examples/ruby/events.rb"
	./run ruby examples/ruby/events.rb
fi
echo "demo: done"
