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
# Partition real images from Python and Ruby, then judge them with the
# real checkers.
check_mbr() {
	sfdisk --verify "$1" > "$out/verify" 2>&1 || { cat "$out/verify"; exit 1; }
	cat "$out/verify"
	grep -q "No errors detected" "$out/verify"
}
check_gpt() {
	check_mbr "$1"
	sgdisk -v "$1" > "$out/sgdisk" 2>&1 || { cat "$out/sgdisk"; exit 1; }
	cat "$out/sgdisk"
	grep -q "No problems found" "$out/sgdisk"
}
if [ -d build/python ]; then
	echo "== Python: examples/python/partition.py (GPT)"
	./run python3 examples/python/partition.py "$out/py.img"
	check_gpt "$out/py.img"
fi
if [ -d build/ruby ]; then
	echo "== Ruby: examples/ruby/partition.rb (MBR with logical partitions)"
	./run ruby examples/ruby/partition.rb "$out/rb.img"
	check_mbr "$out/rb.img"
	sfdisk --dump "$out/rb.img"
fi
# Build an EFI + ext4 root image from Python and from Ruby, then judge it
# with the real checkers: the partition table, then each filesystem copied
# out of its partition.
check_efi_image() {
	img=$1
	check_gpt "$img"
	sfdisk --json "$img" | python3 -c 'import json, sys
for p in json.load(sys.stdin)["partitiontable"]["partitions"]:
    print(p["start"], p["size"])' > "$out/parts"
	n=0
	while read -r start size; do
		n=$((n + 1))
		dd if="$img" of="$out/part$n" bs=512 skip="$start" count="$size" status=none
	done < "$out/parts"
	echo "-- fsck.fat -n (ESP)"
	fsck.fat -n "$out/part1"
	echo "-- e2fsck -fn (root)"
	e2fsck -fn "$out/part2"
	rm -f "$out/part1" "$out/part2" "$out/parts"
}
if [ -d build/python ]; then
	echo "== Python: examples/python/efi_image.py (GPT, vfat ESP, ext4 root)"
	./run python3 examples/python/efi_image.py "$out/efi-py.img"
	check_efi_image "$out/efi-py.img"
fi
if [ -d build/ruby ]; then
	echo "== Ruby: examples/ruby/efi_image.rb (GPT, vfat ESP, ext4 root)"
	./run ruby examples/ruby/efi_image.rb "$out/efi-rb.img"
	check_efi_image "$out/efi-rb.img"
fi
echo "demo: done"
