#!/bin/sh
# make.sh: the small images committed beside this script, gzipped, which
# the fuzz target mutates and the tests read without the tools: rr.iso
# (xorriso, Rock Ridge and Joliet), joliet.iso (genisoimage, Joliet only)
# and plain.iso (genisoimage, neither). Run it from anywhere; it needs
# xorriso and genisoimage, and root for the owner.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
t=$tmp/tree
mkdir -p "$t/dir/sub"
printf 'hello, world\n' > "$t/hello.txt"
printf 'in a sub-directory\n' > "$t/dir/sub/Deep File.txt"
head -c 5000 /dev/zero | tr '\0' 'x' > "$t/dir/five-thousand"
: > "$t/empty"
ln -s dir/sub "$t/link"
ln -s /hello.txt "$t/abs"
chown 1000:1000 "$t/hello.txt"
chmod 0640 "$t/hello.txt"
find "$t" -exec touch -h -t 202001020304.05 {} +
export SOURCE_DATE_EPOCH=1577934245
xorriso -as mkisofs -quiet -R -J -V SEED_RR -o "$tmp/rr.iso" "$t"
genisoimage -quiet -J -V SEED_J -o "$tmp/joliet.iso" "$t" 2>/dev/null
genisoimage -quiet -V SEED_PLAIN -o "$tmp/plain.iso" "$t" 2>/dev/null
for i in rr joliet plain; do gzip -9n < "$tmp/$i.iso" > "$here/$i.iso.gz"; done
