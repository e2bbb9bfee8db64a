/* ops_fs.c: open, mount state, close, journal helpers, superblock fields. */
#include <string.h>
#include <time.h>
#include <et/com_err.h>
#include "goio.h"
#include "ops.h"
#include "ops_int.h"

#define OPEN_FLAGS (EXT2_FLAG_64BITS | EXT2_FLAG_SKIP_MMP)

/* orphan_one frees an orphan inode without links, or cuts one that has
 * links to its i_size, as the kernel does at mount after a crash. */
static errcode_t orphan_one(ext2_filsys fs, ext2_ino_t ino, struct ext2_inode_large *inode)
{
	errcode_t e;

	if (inode->i_links_count == 0) {
		if ((e = e2i_free_inode(fs, ino, inode)))
			return e;
	} else if (!(inode->i_flags & EXT4_INLINE_DATA_FL) &&
		   ext2fs_inode_has_valid_blocks2(fs, (struct ext2_inode *)inode)) {
		blk64_t from = (EXT2_I_SIZE(inode) + fs->blocksize - 1) / fs->blocksize;
		if ((e = ext2fs_punch(fs, ino, (struct ext2_inode *)inode, NULL, from, ~0ULL)))
			return e;
	}
	return e2i_write(fs, ino, inode);
}

/* process_orphans processes the orphan list of the superblock, chained
 * through i_dtime. */
static errcode_t process_orphans(ext2_filsys fs)
{
	ext2_ino_t ino = fs->super->s_last_orphan;
	struct ext2_inode_large inode;
	__u32 n = 0;
	errcode_t e;

	while (ino) {
		ext2_ino_t next;
		if (ino < EXT2_FIRST_INODE(fs->super) || ino > fs->super->s_inodes_count ||
		    ++n > fs->super->s_inodes_count)
			return EXT2_ET_FILESYSTEM_CORRUPTED;
		if ((e = e2i_read(fs, ino, &inode)))
			return e;
		next = inode.i_dtime;
		inode.i_dtime = 0;
		if ((e = orphan_one(fs, ino, &inode)))
			return e;
		ino = next;
	}
	if (fs->super->s_last_orphan) {
		fs->super->s_last_orphan = 0;
		ext2fs_mark_super_dirty(fs);
	}
	return 0;
}

/* process_orphan_file processes the orphan file (feature orphan_file,
 * with orphan_present set): each inode number in its blocks is an orphan;
 * its slot is cleared and the block's checksum rewritten, and
 * orphan_present is cleared at the end, as the kernel does. */
static errcode_t process_orphan_file(ext2_filsys fs)
{
	ext2_ino_t oino = fs->super->s_orphan_file_inum;
	struct ext2_inode_large oinode, inode;
	blk64_t nblocks, b, pblk;
	char *buf = NULL;
	int per, i;
	errcode_t e;

	if (!ext2fs_has_feature_orphan_file(fs->super) || !ext2fs_has_feature_orphan_present(fs->super))
		return 0;
	if (oino < 1 || oino > fs->super->s_inodes_count)
		return EXT2_ET_FILESYSTEM_CORRUPTED;
	if ((e = e2i_read(fs, oino, &oinode)))
		return e;
	nblocks = EXT2_I_SIZE(&oinode) / fs->blocksize;
	if (nblocks > ext2fs_blocks_count(fs->super))
		return EXT2_ET_FILESYSTEM_CORRUPTED;
	if ((e = ext2fs_get_mem(fs->blocksize, &buf)))
		return e;
	per = ext2fs_inodes_per_orphan_block(fs);
	for (b = 0; b < nblocks; b++) {
		int changed = 0;
		pblk = 0;
		if ((e = ext2fs_bmap2(fs, oino, (struct ext2_inode *)&oinode, NULL, 0, b, NULL, &pblk)))
			goto out;
		if (!pblk)
			continue;
		if ((e = io_channel_read_blk64(fs->io, pblk, 1, buf)))
			goto out;
		for (i = 0; i < per; i++) {
			__u32 *slot = (__u32 *)buf + i;
			ext2_ino_t ino = ext2fs_le32_to_cpu(*slot);
			if (!ino)
				continue;
			if (ino < EXT2_FIRST_INODE(fs->super) || ino > fs->super->s_inodes_count) {
				e = EXT2_ET_FILESYSTEM_CORRUPTED;
				goto out;
			}
			if ((e = e2i_read(fs, ino, &inode)) || (e = orphan_one(fs, ino, &inode)))
				goto out;
			*slot = 0;
			changed = 1;
		}
		if (changed) {
			if (ext2fs_has_feature_metadata_csum(fs->super) &&
			    (e = ext2fs_orphan_file_block_csum_set(fs, oino, pblk, buf)))
				goto out;
			if ((e = io_channel_write_blk64(fs->io, pblk, 1, buf)))
				goto out;
		}
	}
	ext2fs_clear_feature_orphan_present(fs->super);
	ext2fs_mark_super_dirty(fs);
out:
	ext2fs_free_mem(&buf);
	return e;
}

/* e2_open opens the filesystem; read-write loads the bitmaps, processes
 * the orphan list and marks the filesystem mounted and not clean (fuse2fs
 * op_init). */
errcode_t e2_open(const char *name, int rw, ext2_filsys *ret)
{
	ext2_filsys fs;
	errcode_t e;

	e = ext2fs_open2(name, NULL, OPEN_FLAGS | (rw ? EXT2_FLAG_RW : 0), 0, 0,
			 goio_io_manager, &fs);
	if (e)
		return e;
	if (rw) {
		if ((e = ext2fs_read_bitmaps(fs)))
			goto fail;
		if ((e = process_orphans(fs)) || (e = process_orphan_file(fs)))
			goto fail;
		fs->super->s_mnt_count++;
		fs->super->s_mtime = time(NULL);
		if ((e = e2_set_clean(fs, 0)))
			goto fail;
	}
	*ret = fs;
	return 0;
fail:
	ext2fs_free(fs);
	return e;
}

/* e2_set_clean writes the superblock with the valid (clean) state set or
 * cleared, and everything else that is dirty. */
errcode_t e2_set_clean(ext2_filsys fs, int clean)
{
	errcode_t e;

	if (clean) {
		fs->super->s_state |= EXT2_VALID_FS;
		if (fs->super->s_error_count)
			fs->super->s_state |= EXT2_ERROR_FS;
	} else {
		fs->super->s_state &= ~EXT2_VALID_FS;
	}
	ext2fs_mark_super_dirty(fs);
	if ((e = ext2fs_set_gdt_csum(fs)))
		return e;
	return ext2fs_flush2(fs, 0);
}

/* e2_close marks a read-write filesystem clean, writes it and frees fs,
 * even on failure. */
errcode_t e2_close(ext2_filsys fs)
{
	errcode_t e;

	if (fs->flags & EXT2_FLAG_RW) {
		fs->super->s_state |= EXT2_VALID_FS;
		if (fs->super->s_error_count)
			fs->super->s_state |= EXT2_ERROR_FS;
		ext2fs_mark_super_dirty(fs);
		if ((e = ext2fs_set_gdt_csum(fs))) {
			ext2fs_free(fs);
			return e;
		}
	}
	e = ext2fs_close2(fs, 0);
	if (e)
		ext2fs_free(fs);
	return e;
}

/* e2_journal_map fills map[0..n) with the physical blocks of the journal
 * inode's first n logical blocks (0 for a hole). */
errcode_t e2_journal_map(ext2_filsys fs, unsigned long long *map, unsigned n)
{
	struct ext2_inode inode;
	ext2_ino_t ino = fs->super->s_journal_inum;
	errcode_t e;
	unsigned i;

	if (!ino)
		return EXT2_ET_BAD_INODE_NUM;
	if ((e = ext2fs_read_inode(fs, ino, &inode)))
		return e;
	for (i = 0; i < n; i++) {
		blk64_t p = 0;
		if ((e = ext2fs_bmap2(fs, ino, &inode, NULL, 0, i, NULL, &p)))
			return e;
		if (p >= ext2fs_blocks_count(fs->super))
			return EXT2_ET_BAD_BLOCK_NUM;
		map[i] = p;
	}
	return 0;
}

/* e2_clear_recover clears needs_recovery after a replay (e2fsprogs
 * ext2fs_clear_recover). */
errcode_t e2_clear_recover(const char *name)
{
	ext2_filsys fs;
	errcode_t e;

	e = ext2fs_open2(name, NULL, OPEN_FLAGS | EXT2_FLAG_RW, 0, 0, goio_io_manager, &fs);
	if (e)
		return e;
	ext2fs_clear_feature_journal_needs_recovery(fs->super);
	if (fs->super->s_lastcheck >= fs->super->s_mtime)
		fs->super->s_lastcheck = fs->super->s_mtime - 1;
	ext2fs_mark_super_dirty(fs);
	e = ext2fs_close2(fs, 0);
	if (e)
		ext2fs_free(fs);
	return e;
}

/* e2_can_allocate keeps a margin of free blocks: libext2fs can corrupt a
 * filesystem that runs completely out of blocks in the middle of an extent
 * split (fuse2fs fs_can_allocate). */
int e2_can_allocate(ext2_filsys fs, unsigned long long blocks)
{
	blk64_t total = ext2fs_blocks_count(fs->super);
	blk64_t margin = total / 100 > 64 ? total / 100 : 64;
	blk64_t freeb = ext2fs_free_blocks_count(fs->super);

	return freeb >= margin && freeb - margin >= blocks;
}

void e2_statfs(ext2_filsys fs, struct e2_statfs *st)
{
	blk64_t total = ext2fs_blocks_count(fs->super);
	blk64_t overhead = fs->desc_blocks +
		(blk64_t)fs->group_desc_count * (fs->inode_blocks_per_group + 2);
	blk64_t freeb = ext2fs_free_blocks_count(fs->super);
	blk64_t res = ext2fs_r_blocks_count(fs->super);

	st->bsize = fs->blocksize;
	st->blocks = total > overhead ? total - overhead : 0;
	st->bfree = freeb;
	st->bavail = freeb > res ? freeb - res : 0;
	st->files = fs->super->s_inodes_count;
	st->ffree = fs->super->s_free_inodes_count;
}

void e2_set_label(ext2_filsys fs, const char *label, size_t len)
{
	memset(fs->super->s_volume_name, 0, sizeof(fs->super->s_volume_name));
	memcpy(fs->super->s_volume_name, label, len);
	ext2fs_mark_super_dirty(fs);
}

/* e2_set_uuid changes the UUID; with metadata_csum the checksum seed is
 * kept in the superblock (metadata_csum_seed) so that no checksum changes
 * (tune2fs -O metadata_csum_seed -U), and the group descriptor checksums
 * are set again, as tune2fs -U does: uninit_bg's crc16 covers the UUID. */
void e2_set_uuid(ext2_filsys fs, const unsigned char *uuid)
{
	dgrp_t g;

	if (ext2fs_has_feature_metadata_csum(fs->super) &&
	    !ext2fs_has_feature_csum_seed(fs->super)) {
		fs->super->s_checksum_seed = fs->csum_seed;
		ext2fs_set_feature_csum_seed(fs->super);
	}
	memcpy(fs->super->s_uuid, uuid, 16);
	ext2fs_init_csum_seed(fs);
	if (ext2fs_has_group_desc_csum(fs)) {
		for (g = 0; g < fs->group_desc_count; g++)
			ext2fs_group_desc_csum_set(fs, g);
		fs->flags &= ~EXT2_FLAG_SUPER_ONLY;
	}
	ext2fs_mark_super_dirty(fs);
}

/* e2_message is com_err's text for an EXT2_ET_* code (a static string of
 * the error table, never com_err's shared buffer). */
const char *e2_message(errcode_t e)
{
	return error_message(e);
}
