/* ops_data.c: where a file's data is (NextData), in O(extents). */
#include <errno.h>
#include "ops.h"
#include "ops_int.h"

/* extent_data finds, in an extent-mapped inode, the first initialized
 * extent ending after logical block blk and starting before lend, merged
 * with the initialized extents that follow it without a gap. */
static errcode_t extent_data(ext2_filsys fs, ext2_ino_t ino, struct ext2_inode_large *inode,
			     blk64_t blk, blk64_t lend, blk64_t *start, blk64_t *end, int *found)
{
	ext2_extent_handle_t h;
	struct ext2fs_extent x;
	errcode_t e;

	if ((e = ext2fs_extent_open2(fs, ino, (struct ext2_inode *)inode, &h)))
		return e;
	/* goto2 leaves the handle at the leaf extent holding blk or, when blk
	 * is in a hole, at a leaf extent next to it. */
	e = ext2fs_extent_goto2(h, 0, blk);
	if (e == EXT2_ET_EXTENT_NOT_FOUND) {
		e = ext2fs_extent_get(h, EXT2_EXTENT_CURRENT, &x);
		if (e == EXT2_ET_NO_CURRENT_NODE) {
			e = 0; /* no extents at all */
			goto out;
		}
	} else if (!e) {
		e = ext2fs_extent_get(h, EXT2_EXTENT_CURRENT, &x);
	}
	for (; !e; e = ext2fs_extent_get(h, EXT2_EXTENT_NEXT_LEAF, &x)) {
		if (!(x.e_flags & EXT2_EXTENT_FLAGS_LEAF) || x.e_len == 0)
			continue;
		if (x.e_lblk >= lend || (*found && x.e_lblk != *end))
			break;
		if (x.e_flags & EXT2_EXTENT_FLAGS_UNINIT) {
			if (*found)
				break;
			continue;
		}
		if (x.e_lblk + x.e_len <= blk)
			continue;
		if (!*found) {
			*found = 1;
			*start = x.e_lblk > blk ? x.e_lblk : blk;
		}
		*end = x.e_lblk + x.e_len;
	}
	if (e == EXT2_ET_EXTENT_NO_NEXT)
		e = 0;
out:
	ext2fs_extent_free(h);
	return e;
}

struct block_run {
	blk64_t blk, lend, start, end;
	int found;
};

static int block_run_fn(ext2_filsys fs, blk64_t *blocknr, e2_blkcnt_t n, blk64_t ref_blk,
			int ref_offset, void *priv)
{
	struct block_run *r = priv;
	blk64_t b = (blk64_t)n;

	(void)fs, (void)ref_blk, (void)ref_offset;
	if (n < 0 || *blocknr == 0 || b < r->blk)
		return 0;
	if (b >= r->lend || (r->found && b != r->end))
		return BLOCK_ABORT;
	if (!r->found) {
		r->found = 1;
		r->start = b;
	}
	r->end = b + 1;
	return 0;
}

/* e2_next_data finds the first range of ino's data at or after byte off,
 * in bytes clipped to i_size: [*start, *end), with *found set; *found 0
 * when there is none. Uninitialized extents are holes; an inline-data
 * inode is data from 0 to its size. */
errcode_t e2_next_data(ext2_filsys fs, ext2_ino_t ino, unsigned long long off,
		       unsigned long long *start, unsigned long long *end, int *found)
{
	struct ext2_inode_large inode;
	unsigned long long size, bs = fs->blocksize;
	blk64_t blk, lend, s = 0, x = 0;
	errcode_t e;

	*found = 0;
	if ((e = e2i_read(fs, ino, &inode)))
		return e;
	size = EXT2_I_SIZE(&inode);
	if (off >= size)
		return 0;
	if (inode.i_flags & EXT4_INLINE_DATA_FL) {
		*start = off, *end = size, *found = 1;
		return 0;
	}
	blk = off / bs;
	lend = (size + bs - 1) / bs;
	if (inode.i_flags & EXT4_EXTENTS_FL) {
		e = extent_data(fs, ino, &inode, blk, lend, &s, &x, found);
	} else if (ext2fs_inode_has_valid_blocks2(fs, (struct ext2_inode *)&inode)) {
		struct block_run r = { .blk = blk, .lend = lend };
		e = ext2fs_block_iterate3(fs, ino, BLOCK_FLAG_DATA_ONLY | BLOCK_FLAG_READ_ONLY, NULL,
					  block_run_fn, &r);
		s = r.start, x = r.end, *found = r.found;
	}
	if (e || !*found)
		return e;
	*start = s * bs > off ? s * bs : off;
	*end = x * bs < size ? x * bs : size;
	if (*start >= *end)
		*found = 0;
	return 0;
}
