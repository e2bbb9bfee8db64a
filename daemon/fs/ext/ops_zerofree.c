/* ops_zerofree.c: runs of free blocks, from the block bitmap. */
#include <errno.h>
#include "ops.h"
#include "ops_int.h"

/* e2_free_run finds the first run of free blocks in [from, last]:
 * [*start, *end), 0; ENOENT when every block there is used. */
errcode_t e2_free_run(ext2_filsys fs, unsigned long long from, unsigned long long last,
		      unsigned long long *start, unsigned long long *end)
{
	blk64_t s, e;
	errcode_t rc;

	if (from > last)
		return ENOENT;
	if ((rc = ext2fs_find_first_zero_block_bitmap2(fs->block_map, from, last, &s)))
		return rc;
	rc = ext2fs_find_first_set_block_bitmap2(fs->block_map, s, last, &e);
	if (rc == ENOENT)
		e = last + 1;
	else if (rc)
		return rc;
	*start = s;
	*end = e;
	return 0;
}

/* e2_flush writes what libext2fs holds dirty (superblock, descriptors,
 * bitmaps, inodes) to the io channel. */
errcode_t e2_flush(ext2_filsys fs)
{
	errcode_t e;

	if ((e = ext2fs_set_gdt_csum(fs)))
		return e;
	return ext2fs_flush2(fs, 0);
}
