#!/bin/sh
# make.sh: the small images committed beside this script, which the fuzz
# target mutates and the tests read without the tools: gzip.sqfs
# (mksquashfs's defaults) and xz.sqfs, zstd.sqfs, lz4.sqfs, lzo.sqfs of
# the same tree, with 4 KiB blocks so that files span blocks and
# fragments. Run it from anywhere; it needs squashfs-tools and attr.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
t=$tmp/tree
mkdir -p "$t/dir/sub"
printf 'hello, world\n' > "$t/hello.txt"
printf 'in a sub-directory\n' > "$t/dir/sub/Deep File.txt"
head -c 10000 /dev/zero | tr '\0' 'x' > "$t/dir/ten-thousand"
seq 1 3000 > "$t/dir/numbers"
: > "$t/empty"
ln -s dir/sub "$t/link"
ln "$t/hello.txt" "$t/hard"
mkfifo "$t/fifo"
setfattr -n user.greeting -v hi "$t/hello.txt"
chmod 0640 "$t/hello.txt"
find "$t" -exec touch -h -t 202001020304.05 {} +
for c in gzip xz zstd lz4 lzo; do
	mksquashfs "$t" "$here/$c.sqfs" -comp "$c" -b 4096 -noappend -quiet -all-time 1577934245 -mkfs-time 1577934245 >/dev/null
done
