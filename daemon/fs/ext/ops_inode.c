/* ops_inode.c: inode read/write, timestamps and the inline-data workaround. */
#include <string.h>
#include <time.h>
#include "ops.h"
#include "ops_int.h"

/* Exported by libext2fs 1.47.0 but missing from its public header. */
errcode_t ext2fs_inline_data_expand(ext2_filsys fs, ext2_ino_t ino);

#define FITS(i, field) \
	((offsetof(struct ext2_inode_large, field) + sizeof((i)->field)) <= \
	 ((size_t)EXT2_GOOD_OLD_INODE_SIZE + (i)->i_extra_isize))

static __u32 enc_extra(long long sec, long nsec)
{
	return (__u32)(((sec - (__s32)sec) >> 32) & 3) | ((__u32)nsec << 2);
}

void e2i_set_time(struct ext2_inode_large *i, int which, long long sec, long nsec)
{
	switch (which) {
	case E2I_ATIME:
		i->i_atime = (__u32)sec;
		if (FITS(i, i_atime_extra)) i->i_atime_extra = enc_extra(sec, nsec);
		break;
	case E2I_MTIME:
		i->i_mtime = (__u32)sec;
		if (FITS(i, i_mtime_extra)) i->i_mtime_extra = enc_extra(sec, nsec);
		break;
	case E2I_CTIME:
		i->i_ctime = (__u32)sec;
		if (FITS(i, i_ctime_extra)) i->i_ctime_extra = enc_extra(sec, nsec);
		break;
	case E2I_CRTIME:
		if (FITS(i, i_crtime)) i->i_crtime = (__u32)sec;
		if (FITS(i, i_crtime_extra)) i->i_crtime_extra = enc_extra(sec, nsec);
		break;
	}
}

errcode_t e2i_read(ext2_filsys fs, ext2_ino_t ino, struct ext2_inode_large *i)
{
	memset(i, 0, sizeof(*i));
	return ext2fs_read_inode_full(fs, ino, (struct ext2_inode *)i, sizeof(*i));
}

errcode_t e2i_write(ext2_filsys fs, ext2_ino_t ino, struct ext2_inode_large *i)
{
	return ext2fs_write_inode_full(fs, ino, (struct ext2_inode *)i, sizeof(*i));
}

void e2i_touch(struct ext2_inode_large *i, int mtime)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	e2i_set_time(i, E2I_CTIME, ts.tv_sec, ts.tv_nsec);
	if (mtime)
		e2i_set_time(i, E2I_MTIME, ts.tv_sec, ts.tv_nsec);
}

errcode_t e2i_touch_ino(ext2_filsys fs, ext2_ino_t ino, int mtime)
{
	struct ext2_inode_large i;
	errcode_t e = e2i_read(fs, ino, &i);

	if (e)
		return e;
	e2i_touch(&i, mtime);
	return e2i_write(fs, ino, &i);
}

void e2i_set_owner(struct ext2_inode_large *i, unsigned uid, unsigned gid)
{
	i->i_uid = (__u16)uid;
	ext2fs_set_i_uid_high(*i, uid >> 16);
	i->i_gid = (__u16)gid;
	ext2fs_set_i_gid_high(*i, gid >> 16);
}

int e2i_ftype(int mode)
{
	if (LINUX_S_ISREG(mode)) return EXT2_FT_REG_FILE;
	if (LINUX_S_ISDIR(mode)) return EXT2_FT_DIR;
	if (LINUX_S_ISCHR(mode)) return EXT2_FT_CHRDEV;
	if (LINUX_S_ISBLK(mode)) return EXT2_FT_BLKDEV;
	if (LINUX_S_ISLNK(mode)) return EXT2_FT_SYMLINK;
	if (LINUX_S_ISFIFO(mode)) return EXT2_FT_FIFO;
	if (LINUX_S_ISSOCK(mode)) return EXT2_FT_SOCK;
	return 0;
}

/* e2i_expand_inline moves an inline-data file's body to a block before any
 * write or truncate: ext2fs_file_write on an inline file at pos > 0 corrupts
 * memory in 1.47.0 (fixed upstream in bc599a8b), and the expansion sets
 * i_size to 60 + the EA size, so the real size is restored after it. */
errcode_t e2i_expand_inline(ext2_filsys fs, ext2_ino_t ino)
{
	struct ext2_inode_large i;
	ext2_file_t f;
	__u64 old;
	errcode_t e, e2;

	if ((e = e2i_read(fs, ino, &i)))
		return e;
	if (!(i.i_flags & EXT4_INLINE_DATA_FL))
		return 0;
	if (LINUX_S_ISDIR(i.i_mode))
		return ext2fs_inline_data_expand(fs, ino);
	old = EXT2_I_SIZE(&i);
	if ((e = ext2fs_inline_data_expand(fs, ino)))
		return e;
	if ((e = ext2fs_file_open(fs, ino, EXT2_FILE_WRITE, &f)))
		return e;
	e = ext2fs_file_set_size2(f, old);
	e2 = ext2fs_file_close(f);
	return e ? e : e2;
}
