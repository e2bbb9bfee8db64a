#!/bin/sh
# mktree.sh [-x] DIR: the source tree for the comparison tests of the
# read-only drivers (iso9660, squashfs; run as root: it sets owners and
# makes device nodes). Names: long, spaced, non-ASCII,
# leading and trailing dots, ";1"; types: deep directories, a large one,
# symbolic links (relative, absolute, dangling, long, looping), hard
# links, devices, a fifo, a socket; owners, set-uid and sticky modes; times
# before 2000 and past 2038; empty, small, block-sized and sparse files.
# With -x (squashfs) also extended attributes (user and trusted, one value
# shared by two files, as mksquashfs then stores it out of line; it needs
# setfattr) and a 2 MB file.
set -eu
x=
if [ "${1-}" = -x ]; then
	x=1
	shift
fi
d=$1
rm -rf "$d"
mkdir -p "$d"
cd "$d"
mkdir -p deep/d2/d3/d4/d5/d6/d7/d8/d9/d10
echo "deep file" > deep/d2/d3/d4/d5/d6/d7/d8/d9/d10/bottom.txt
long=$(printf 'L%.0s' $(seq 1 200))
echo long > "$long.txt"
echo sp > "name with spaces.txt"
echo u > "ümlaut ☃.txt"
echo h > .hidden
echo t > "trail."
echo MiXeD > "MiXeD.Case"
echo semi > "semi;1"
: > empty
printf 'small\n' > small
head -c 131072 /dev/urandom > block
head -c 131073 /dev/urandom > blockplus
truncate -s 300K sparse
printf 'end' | dd of=sparse bs=1 seek=204800 conv=notrunc 2>/dev/null
ln -s deep/d2/d3 rel-link
ln -s /etc/passwd abs-link
ln -s /deep/d2 abs-inside
ln -s does/not/exist dangling
ln -s "$(printf 'x%.0s' $(seq 1 200))/$(printf 'y%.0s' $(seq 1 200))/z" long-link
ln -s loop2 loop1
ln -s loop1 loop2
echo hard > hard1
ln hard1 hard2
ln hard1 deep/hard3
mknod chr c 1 3
mknod blk b 8 1
mkfifo fifo
python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind("sock")'
mkdir big
i=0
while [ $i -lt 300 ]; do : > "big/entry-with-a-longish-name-$i"; i=$((i+1)); done
echo owned > owned
chown 1000:1001 owned
mkdir sticky
chmod 1777 sticky
echo suid > suid
chmod 4755 suid
echo private > private
chmod 0600 private
if [ -n "$x" ]; then
	echo x > xattr
	setfattr -n user.one -v 1 xattr
	setfattr -n user.big -v "$(printf 'v%.0s' $(seq 1 3000))" xattr
	setfattr -n trusted.t -v tt xattr
	setfattr -n user.big -v "$(printf 'v%.0s' $(seq 1 3000))" small
	setfattr -n user.dir -v d deep
	head -c 2000000 /dev/urandom > twomeg
fi
find . -exec touch -h -t 200102030405.06 {} +
touch -h -t 199912312359.59 small
touch -h -t 203801190314.08 block
