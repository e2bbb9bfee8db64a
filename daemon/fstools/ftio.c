/* ftio.c: a read-only io_manager over a Go device (ftioRead in ext2fs.go),
 * and the libext2fs call sequences of tune2fs -l and zerofree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include "ftio.h"
#include "_cgo_export.h" /* ftioRead */

struct ftio_private {
	uintptr_t		handle; /* runtime/cgo.Handle of the Go device */
	struct struct_io_stats	stats;
};

#define CHECK_CH(ch) do { if ((ch)->magic != EXT2_ET_MAGIC_IO_CHANNEL) \
	return EXT2_ET_MAGIC_IO_CHANNEL; } while (0)
#define PRIV(ch) ((struct ftio_private *)(ch)->private_data)

static struct struct_io_manager ftio_manager_struct;

/* ftio_open opens names of the form "fstools:<decimal cgo.Handle>",
 * read-only whatever the flags. */
static errcode_t ftio_open(const char *name, int flags, io_channel *channel)
{
	io_channel io = NULL;
	struct ftio_private *p = NULL;
	errcode_t err;
	char *end;
	unsigned long long h;

	(void)flags;
	if (!name || strncmp(name, "fstools:", 8) != 0)
		return EXT2_ET_BAD_DEVICE_NAME;
	h = strtoull(name + 8, &end, 10);
	if (*end || h == 0)
		return EXT2_ET_BAD_DEVICE_NAME;
	if ((err = ext2fs_get_memzero(sizeof(*io), &io)))
		return err;
	if ((err = ext2fs_get_memzero(sizeof(*p), &p)))
		goto fail;
	if ((err = ext2fs_get_mem(strlen(name) + 1, &io->name)))
		goto fail;
	strcpy(io->name, name);
	io->magic = EXT2_ET_MAGIC_IO_CHANNEL;
	io->manager = &ftio_manager_struct;
	io->block_size = 1024;
	io->refcount = 1;
	io->flags = 0; /* not CHANNEL_FLAGS_THREADS: bitmaps are read on this thread */
	io->private_data = p;
	p->handle = (uintptr_t)h;
	p->stats.num_fields = 2;
	*channel = io;
	return 0;
fail:
	if (p)
		ext2fs_free_mem(&p);
	if (io)
		ext2fs_free_mem(&io);
	return err;
}

static errcode_t ftio_close(io_channel ch)
{
	CHECK_CH(ch);
	if (--ch->refcount > 0)
		return 0;
	ext2fs_free_mem(&ch->private_data);
	if (ch->name)
		ext2fs_free_mem(&ch->name);
	ext2fs_free_mem(&ch);
	return 0;
}

static errcode_t ftio_set_blksize(io_channel ch, int blksize)
{
	CHECK_CH(ch);
	ch->block_size = blksize;
	return 0;
}

static errcode_t ftio_read_blk64(io_channel ch, unsigned long long block, int count, void *buf)
{
	size_t size;
	errcode_t err;

	CHECK_CH(ch);
	size = count < 0 ? (size_t)-count : (size_t)count * ch->block_size;
	PRIV(ch)->stats.bytes_read += size;
	err = ftioRead(PRIV(ch)->handle, (int64_t)(block * ch->block_size), buf, size);
	if (err) {
		memset(buf, 0, size);
		if (ch->read_error)
			err = ch->read_error(ch, block, count, buf, size, 0, err);
	}
	return err;
}

static errcode_t ftio_read_blk(io_channel ch, unsigned long block, int count, void *buf)
{
	return ftio_read_blk64(ch, block, count, buf);
}

static errcode_t ftio_write_blk64(io_channel ch, unsigned long long block, int count, const void *buf)
{
	(void)block; (void)count; (void)buf;
	CHECK_CH(ch);
	return EXT2_ET_RO_FILSYS;
}

static errcode_t ftio_write_blk(io_channel ch, unsigned long block, int count, const void *buf)
{
	return ftio_write_blk64(ch, block, count, buf);
}

static errcode_t ftio_write_byte(io_channel ch, unsigned long offset, int count, const void *buf)
{
	(void)offset; (void)count; (void)buf;
	CHECK_CH(ch);
	return EXT2_ET_RO_FILSYS;
}

static errcode_t ftio_flush(io_channel ch)
{
	CHECK_CH(ch);
	return 0;
}

static errcode_t ftio_set_option(io_channel ch, const char *opt, const char *arg)
{
	(void)arg;
	CHECK_CH(ch);
	if (!strcmp(opt, "cache"))
		return 0;
	return EXT2_ET_INVALID_ARGUMENT;
}

static errcode_t ftio_get_stats(io_channel ch, io_stats *stats)
{
	CHECK_CH(ch);
	if (stats)
		*stats = &PRIV(ch)->stats;
	return 0;
}

static struct struct_io_manager ftio_manager_struct = {
	.magic		= EXT2_ET_MAGIC_IO_MANAGER,
	.name		= "fstools read-only I/O Manager",
	.open		= ftio_open,
	.close		= ftio_close,
	.set_blksize	= ftio_set_blksize,
	.read_blk	= ftio_read_blk,
	.write_blk	= ftio_write_blk,
	.flush		= ftio_flush,
	.write_byte	= ftio_write_byte,
	.set_option	= ftio_set_option,
	.get_stats	= ftio_get_stats,
	.read_blk64	= ftio_read_blk64,
	.write_blk64	= ftio_write_blk64,
};

/* The flags tune2fs -l opens with (misc/tune2fs.c: a read-only open skips
 * MMP; no EXT2_FLAG_THREADS, which would read bitmaps on other threads). */
#define LIST_FLAGS (EXT2_FLAG_64BITS | EXT2_FLAG_JOURNAL_DEV_OK | EXT2_FLAG_SKIP_MMP)

errcode_t ft_open(const char *name, int journal_dev_ok, ext2_filsys *fs)
{
	int flags = EXT2_FLAG_64BITS | EXT2_FLAG_SKIP_MMP;

	if (journal_dev_ok)
		flags = LIST_FLAGS;
	*fs = NULL;
	return ext2fs_open2(name, NULL, flags, 0, 0, &ftio_manager_struct, fs);
}

int ft_journal_dev(ext2_filsys fs)
{
	return ext2fs_has_feature_journal_dev(fs->super);
}

errcode_t ft_list_super(ext2_filsys fs, char **out, size_t *len)
{
	FILE *f = open_memstream(out, len);

	if (!f)
		return EXT2_ET_NO_MEMORY;
	list_super2(fs->super, f);
	if (fclose(f) != 0)
		return EXT2_ET_NO_MEMORY;
	return 0;
}

int ft_state(ext2_filsys fs, unsigned long long *blocks, unsigned int *blocksize,
	     unsigned long long *first)
{
	int s = 0;

	*blocks = ext2fs_blocks_count(fs->super);
	*blocksize = fs->blocksize;
	*first = fs->super->s_first_data_block;
	if (ext2fs_has_feature_journal_needs_recovery(fs->super))
		s |= FT_NEEDS_RECOVERY;
	if (!(fs->super->s_state & EXT2_VALID_FS))
		s |= FT_NOT_CLEAN;
	if (fs->super->s_state & EXT2_ERROR_FS)
		s |= FT_ERRORS;
	return s;
}

errcode_t ft_read_block_bitmap(ext2_filsys fs)
{
	/* An rbtree keeps the bitmap of a large, mostly used or mostly free
	 * filesystem small (tune2fs does the same). */
	fs->default_bitmap_type = EXT2FS_BMAP64_RBTREE;
	return ext2fs_read_block_bitmap(fs);
}

errcode_t ft_next_free(ext2_filsys fs, unsigned long long start, unsigned long long *first,
		       unsigned long long *end)
{
	blk64_t last = ext2fs_blocks_count(fs->super) - 1, z, s;
	errcode_t err;

	*first = *end = 0;
	if (start > last)
		return 0;
	err = ext2fs_find_first_zero_block_bitmap2(fs->block_map, start, last, &z);
	if (err == ENOENT)
		return 0;
	if (err)
		return err;
	err = ext2fs_find_first_set_block_bitmap2(fs->block_map, z, last, &s);
	if (err == ENOENT)
		s = last + 1;
	else if (err)
		return err;
	*first = z;
	*end = s;
	return 0;
}

const char *ft_message(errcode_t e)
{
	return error_message(e);
}

void ft_init(void)
{
	initialize_ext2_error_table();
}
