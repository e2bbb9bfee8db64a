/* goio.c: an io_manager over a Go device (callbacks in callbacks.go). */
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include "goio.h"
#include "_cgo_export.h"   /* goioRead, goioWrite, goioFlush, goioZero */

#define GOIO_PRIV_MAGIC 0x474f494fL  /* 'GOIO'; any value, only we check it */

struct goio_private {
	errcode_t		magic;
	uintptr_t		handle;     /* runtime/cgo.Handle of the Go device */
	int			flags;      /* IO_FLAG_* passed to open */
	struct struct_io_stats	stats;
};

#define CHECK_CH(ch) do { if ((ch)->magic != EXT2_ET_MAGIC_IO_CHANNEL) \
	return EXT2_ET_MAGIC_IO_CHANNEL; } while (0)
#define PRIV(ch) ((struct goio_private *)(ch)->private_data)

static errcode_t goio_open(const char *name, int flags, io_channel *channel)
{
	io_channel io = NULL;
	struct goio_private *p = NULL;
	errcode_t err;
	char *end;
	unsigned long long h;

	if (!name || strncmp(name, "goio:", 5) != 0)
		return EXT2_ET_BAD_DEVICE_NAME;
	h = strtoull(name + 5, &end, 10);
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
	io->manager = goio_io_manager;
	io->block_size = 1024;          /* libext2fs expects 1024 initially */
	io->refcount = 1;
	io->flags = 0;                   /* NOT CHANNEL_FLAGS_THREADS: keeps rw_bitmaps single-threaded */
	io->private_data = p;
	p->magic = GOIO_PRIV_MAGIC;
	p->handle = (uintptr_t)h;
	p->flags = flags;
	p->stats.num_fields = 2;
	*channel = io;
	return 0;
fail:
	if (p) ext2fs_free_mem(&p);
	if (io) { if (io->name) ext2fs_free_mem(&io->name); ext2fs_free_mem(&io); }
	return err;
}

static errcode_t goio_close(io_channel ch)
{
	struct goio_private *p;
	errcode_t err;

	CHECK_CH(ch);
	p = PRIV(ch);
	if (--ch->refcount > 0)
		return 0;
	err = goioFlush(p->handle);        /* write back the Go-side cache */
	ext2fs_free_mem(&ch->private_data);
	if (ch->name) ext2fs_free_mem(&ch->name);
	ext2fs_free_mem(&ch);
	return err;
}

static errcode_t goio_set_blksize(io_channel ch, int blksize)
{
	CHECK_CH(ch);
	/* cache in Go is keyed by byte offset, so no flush needed */
	ch->block_size = blksize;
	return 0;
}

static size_t xfer_size(io_channel ch, int count)
{
	return count < 0 ? (size_t)(-count) : (size_t)count * ch->block_size;
}

static errcode_t goio_read_blk64(io_channel ch, unsigned long long block,
				 int count, void *buf)
{
	struct goio_private *p;
	size_t size;
	errcode_t err;

	CHECK_CH(ch);
	p = PRIV(ch);
	size = xfer_size(ch, count);
	p->stats.bytes_read += size;
	err = goioRead(p->handle, (int64_t)(block * ch->block_size), buf, size);
	if (err) {
		memset(buf, 0, size);
		if (ch->read_error)
			err = ch->read_error(ch, block, count, buf, size, 0, err);
	}
	return err;
}

static errcode_t goio_read_blk(io_channel ch, unsigned long block, int count, void *buf)
{
	return goio_read_blk64(ch, block, count, buf);
}

static errcode_t goio_write_blk64(io_channel ch, unsigned long long block,
				  int count, const void *buf)
{
	struct goio_private *p;
	size_t size;
	errcode_t err;

	CHECK_CH(ch);
	p = PRIV(ch);
	if (!(p->flags & IO_FLAG_RW))
		return EXT2_ET_RO_FILSYS;
	size = xfer_size(ch, count);
	p->stats.bytes_written += size;
	err = goioWrite(p->handle, (int64_t)(block * ch->block_size), (void *)buf, size);
	if (err && ch->write_error)
		err = ch->write_error(ch, block, count, buf, size, 0, err);
	return err;
}

static errcode_t goio_write_blk(io_channel ch, unsigned long block, int count, const void *buf)
{
	return goio_write_blk64(ch, block, count, buf);
}

static errcode_t goio_write_byte(io_channel ch, unsigned long offset, int count, const void *buf)
{
	struct goio_private *p;

	CHECK_CH(ch);
	p = PRIV(ch);
	if (!(p->flags & IO_FLAG_RW))
		return EXT2_ET_RO_FILSYS;
	p->stats.bytes_written += count;
	return goioWrite(p->handle, (int64_t)offset, (void *)buf, (size_t)count);
}

static errcode_t goio_flush(io_channel ch)
{
	CHECK_CH(ch);
	return goioFlush(PRIV(ch)->handle);   /* write back cache + device Sync */
}

static errcode_t goio_set_option(io_channel ch, const char *opt, const char *arg)
{
	(void)arg;
	CHECK_CH(ch);
	/* rw_bitmaps.c sends "cache=off"/"cache=on" only in its threaded path */
	if (!strcmp(opt, "cache"))
		return 0;
	return EXT2_ET_INVALID_ARGUMENT;
}

static errcode_t goio_get_stats(io_channel ch, io_stats *stats)
{
	CHECK_CH(ch);
	if (stats)
		*stats = &PRIV(ch)->stats;
	return 0;
}

static errcode_t goio_discard(io_channel ch, unsigned long long block, unsigned long long count)
{
	(void)block; (void)count;
	CHECK_CH(ch);
	return EXT2_ET_UNIMPLEMENTED;
}

static errcode_t goio_zeroout(io_channel ch, unsigned long long block, unsigned long long count)
{
	CHECK_CH(ch);
	if (!(PRIV(ch)->flags & IO_FLAG_RW))
		return EXT2_ET_RO_FILSYS;
	/* Must succeed (and reads afterwards must return zeroes): a failure here
	 * makes ext2fs_zero_blocks2() fall back to its process-global static
	 * buffer, which is not safe with several filesystems in parallel. */
	return goioZero(PRIV(ch)->handle, (int64_t)(block * ch->block_size),
			(int64_t)(count * ch->block_size));
}

static errcode_t goio_cache_readahead(io_channel ch, unsigned long long block, unsigned long long count)
{
	(void)block; (void)count;
	CHECK_CH(ch);
	return EXT2_ET_OP_NOT_SUPPORTED;   /* only a hint (openfs.c uses it for group descriptors) */
}

static struct struct_io_manager struct_goio_manager = {
	.magic		= EXT2_ET_MAGIC_IO_MANAGER,
	.name		= "Go callback I/O Manager",
	.open		= goio_open,
	.close		= goio_close,
	.set_blksize	= goio_set_blksize,
	.read_blk	= goio_read_blk,
	.write_blk	= goio_write_blk,
	.flush		= goio_flush,
	.write_byte	= goio_write_byte,
	.set_option	= goio_set_option,
	.get_stats	= goio_get_stats,
	.read_blk64	= goio_read_blk64,
	.write_blk64	= goio_write_blk64,
	.discard	= goio_discard,
	.cache_readahead = goio_cache_readahead,
	.zeroout	= goio_zeroout,
};

io_manager goio_io_manager = &struct_goio_manager;
