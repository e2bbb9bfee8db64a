/* ops_file.c: file contents. An ext2_file_t caches its inode, so one is
 * opened and closed per call and never kept. */
#include <string.h>
#include "ops.h"
#include "ops_int.h"

errcode_t e2_pwrite(ext2_filsys fs, ext2_ino_t ino, const void *buf, unsigned len,
		    unsigned long long off, unsigned *got)
{
	ext2_file_t f;
	errcode_t e, e2;

	*got = 0;
	if ((e = e2i_expand_inline(fs, ino)))
		return e;
	if ((e = ext2fs_file_open(fs, ino, EXT2_FILE_WRITE, &f)))
		return e;
	e = ext2fs_file_llseek(f, off, EXT2_SEEK_SET, NULL);
	if (!e)
		e = ext2fs_file_write(f, buf, len, got);
	if (!e)
		e = ext2fs_file_flush(f);
	e2 = ext2fs_file_close(f);
	if (!e)
		e = e2;
	if (e)
		return e;
	return e2i_touch_ino(fs, ino, 1);
}

/* e2_pread reads at most i_size - off bytes: 1.47.0 returns the whole
 * 60-byte inline area of a short inline file (fixed upstream 10d77615). */
errcode_t e2_pread(ext2_filsys fs, ext2_ino_t ino, void *buf, unsigned len,
		   unsigned long long off, unsigned *got)
{
	struct ext2_inode_large inode;
	unsigned long long size;
	ext2_file_t f;
	errcode_t e, e2;

	*got = 0;
	if ((e = e2i_read(fs, ino, &inode)))
		return e;
	size = EXT2_I_SIZE(&inode);
	if (off >= size)
		return 0;
	if (len > size - off)
		len = (unsigned)(size - off);
	if ((e = ext2fs_file_open2(fs, ino, (struct ext2_inode *)&inode, 0, &f)))
		return e;
	e = ext2fs_file_llseek(f, off, EXT2_SEEK_SET, NULL);
	if (!e)
		e = ext2fs_file_read(f, buf, len, got);
	e2 = ext2fs_file_close(f);
	return e ? e : e2;
}

errcode_t e2_truncate(ext2_filsys fs, ext2_ino_t ino, unsigned long long len)
{
	ext2_file_t f;
	errcode_t e, e2;

	if ((e = e2i_expand_inline(fs, ino)))
		return e;
	if ((e = ext2fs_file_open(fs, ino, EXT2_FILE_WRITE, &f)))
		return e;
	e = ext2fs_file_set_size2(f, len);
	e2 = ext2fs_file_close(f);
	if (!e)
		e = e2;
	if (e)
		return e;
	return e2i_touch_ino(fs, ino, 1);
}

/* e2_readlink copies the target of the symlink ino (fast: in i_block;
 * slow: in a block or inline data) into buf, at most cap bytes. */
errcode_t e2_readlink(ext2_filsys fs, ext2_ino_t ino, char *buf, size_t cap, size_t *len)
{
	struct ext2_inode_large inode;
	unsigned long long size;
	unsigned got;
	errcode_t e;

	if ((e = e2i_read(fs, ino, &inode)))
		return e;
	if (!LINUX_S_ISLNK(inode.i_mode))
		return EXT2_ET_INVALID_ARGUMENT;
	size = EXT2_I_SIZE(&inode);
	if (size > cap)
		size = cap;
	if (ext2fs_is_fast_symlink((struct ext2_inode *)&inode)) {
		if (size > sizeof(inode.i_block))
			return EXT2_ET_INODE_CORRUPTED;
		memcpy(buf, inode.i_block, size);
		*len = size;
		return 0;
	}
	if ((e = e2_pread(fs, ino, buf, (unsigned)size, 0, &got)))
		return e;
	*len = got;
	return 0;
}
