/* ops_attr.c: inode attributes and extended attributes. */
#include <stdlib.h>
#include <string.h>
#include "ops.h"
#include "ops_int.h"

#define FITS(i, field) \
	((offsetof(struct ext2_inode_large, field) + sizeof((i)->field)) <= \
	 ((size_t)EXT2_GOOD_OLD_INODE_SIZE + (i)->i_extra_isize))

static void dec_time(__u32 base, __u32 extra, int has_extra, long long *sec, unsigned *nsec)
{
	*sec = (__s32)base;
	*nsec = 0;
	if (has_extra) {
		*sec += (long long)(extra & 3) << 32;
		*nsec = extra >> 2;
	}
}

errcode_t e2_stat(ext2_filsys fs, ext2_ino_t ino, struct e2_stat *st)
{
	struct ext2_inode_large i;
	errcode_t e;

	if ((e = e2i_read(fs, ino, &i)))
		return e;
	memset(st, 0, sizeof(*st));
	st->mode = i.i_mode;
	st->uid = inode_uid(i);
	st->gid = inode_gid(i);
	st->links = i.i_links_count;
	st->flags = i.i_flags;
	st->size = EXT2_I_SIZE(&i);
	st->blocks = ext2fs_get_stat_i_blocks(fs, (struct ext2_inode *)&i);
	dec_time(i.i_atime, i.i_atime_extra, FITS(&i, i_atime_extra), &st->atime, &st->atime_ns);
	dec_time(i.i_mtime, i.i_mtime_extra, FITS(&i, i_mtime_extra), &st->mtime, &st->mtime_ns);
	dec_time(i.i_ctime, i.i_ctime_extra, FITS(&i, i_ctime_extra), &st->ctime, &st->ctime_ns);
	if (LINUX_S_ISCHR(i.i_mode) || LINUX_S_ISBLK(i.i_mode)) {
		__u32 b0 = i.i_block[0], b1 = i.i_block[1];
		if (b0) {
			st->rmajor = (b0 >> 8) & 0xff;
			st->rminor = b0 & 0xff;
		} else {
			st->rmajor = (b1 & 0xfff00) >> 8;
			st->rminor = (b1 & 0xff) | ((b1 >> 12) & 0xfff00);
		}
	}
	return 0;
}

errcode_t e2_chmod(ext2_filsys fs, ext2_ino_t ino, int mode)
{
	struct ext2_inode_large i;
	errcode_t e;

	if ((e = e2i_read(fs, ino, &i)))
		return e;
	i.i_mode = (i.i_mode & ~07777) | (mode & 07777);
	e2i_touch(&i, 0);
	return e2i_write(fs, ino, &i);
}

static errcode_t xopen(ext2_filsys fs, ext2_ino_t ino, struct ext2_xattr_handle **h);

/* kill_caps removes the file capabilities (security.capability) of ino. */
static errcode_t kill_caps(ext2_filsys fs, ext2_ino_t ino)
{
	static const char key[] = "security.capability";
	struct ext2_xattr_handle *h;
	void *v = NULL;
	size_t n;
	errcode_t e, e2;

	if (!ext2fs_has_feature_xattr(fs->super))
		return 0;
	if ((e = xopen(fs, ino, &h)))
		return e;
	e = ext2fs_xattr_get(h, key, &v, &n);
	if (e == EXT2_ET_EA_KEY_NOT_FOUND) {
		ext2fs_xattrs_close(&h);
		return 0;
	}
	if (!e) {
		ext2fs_free_mem(&v);
		e = ext2fs_xattr_remove(h, key);
	}
	e2 = ext2fs_xattrs_close(&h);
	return e ? e : e2;
}

/* e2_chown sets the owner; a negative uid or gid is left unchanged. As
 * chown(2) does on Linux, for root too and even when both are negative
 * (chown_common's ATTR_KILL_SUID, ATTR_KILL_SGID, ATTR_KILL_PRIV), a
 * non-directory loses its file capabilities, its set-user-ID bit and,
 * when group-executable, its set-group-ID bit (without group execute it
 * means mandatory locking and stays). */
errcode_t e2_chown(ext2_filsys fs, ext2_ino_t ino, long long uid, long long gid)
{
	struct ext2_inode_large i;
	errcode_t e;

	if ((e = e2i_read(fs, ino, &i)))
		return e;
	if (!LINUX_S_ISDIR(i.i_mode)) {
		if ((e = kill_caps(fs, ino)))
			return e;
		if ((e = e2i_read(fs, ino, &i)))
			return e;
		i.i_mode &= ~LINUX_S_ISUID;
		if (i.i_mode & LINUX_S_IXGRP)
			i.i_mode &= ~LINUX_S_ISGID;
	}
	e2i_set_owner(&i, uid < 0 ? inode_uid(i) : (unsigned)uid,
		      gid < 0 ? inode_gid(i) : (unsigned)gid);
	e2i_touch(&i, 0);
	return e2i_write(fs, ino, &i);
}

errcode_t e2_utimens(ext2_filsys fs, ext2_ino_t ino, int set_a, long long asec, long ansec,
		     int set_m, long long msec, long mnsec)
{
	struct ext2_inode_large i;
	errcode_t e;

	if ((e = e2i_read(fs, ino, &i)))
		return e;
	if (set_a)
		e2i_set_time(&i, E2I_ATIME, asec, ansec);
	if (set_m)
		e2i_set_time(&i, E2I_MTIME, msec, mnsec);
	e2i_touch(&i, 0);
	return e2i_write(fs, ino, &i);
}

static errcode_t xopen(ext2_filsys fs, ext2_ino_t ino, struct ext2_xattr_handle **h)
{
	errcode_t e = ext2fs_xattrs_open(fs, ino, h);

	if (e)
		return e;
	if ((e = ext2fs_xattrs_read(*h)))
		ext2fs_xattrs_close(h);
	return e;
}

/* e2_xattr_get returns the value in memory the caller frees with e2_free_mem.
 * POSIX ACLs come in the VFS format: libext2fs converts them. */
errcode_t e2_xattr_get(ext2_filsys fs, ext2_ino_t ino, const char *key, void **val, size_t *len)
{
	struct ext2_xattr_handle *h;
	errcode_t e;

	if ((e = xopen(fs, ino, &h)))
		return e;
	e = ext2fs_xattr_get(h, key, val, len);
	ext2fs_xattrs_close(&h);
	return e;
}

errcode_t e2_xattr_set(ext2_filsys fs, ext2_ino_t ino, const char *key, const void *val, size_t len)
{
	struct ext2_xattr_handle *h;
	errcode_t e, e2;

	if ((e = xopen(fs, ino, &h)))
		return e;
	e = ext2fs_xattr_set(h, key, val, len);
	e2 = ext2fs_xattrs_close(&h);
	if (!e)
		e = e2;
	if (e)
		return e;
	return e2i_touch_ino(fs, ino, 0);
}

errcode_t e2_xattr_remove(ext2_filsys fs, ext2_ino_t ino, const char *key)
{
	struct ext2_xattr_handle *h;
	void *v = NULL;
	size_t n;
	errcode_t e, e2;

	if ((e = xopen(fs, ino, &h)))
		return e;
	/* ext2fs_xattr_remove succeeds for a missing key */
	e = ext2fs_xattr_get(h, key, &v, &n);
	if (!e) {
		ext2fs_free_mem(&v);
		e = ext2fs_xattr_remove(h, key);
	}
	e2 = ext2fs_xattrs_close(&h);
	if (!e)
		e = e2;
	if (e)
		return e;
	return e2i_touch_ino(fs, ino, 0);
}

struct names { char *p; size_t len, cap; int err; };

static int list_proc(char *name, char *value, size_t value_len, void *data)
{
	struct names *n = data;
	size_t l = strlen(name) + 1;
	(void)value; (void)value_len;

	if (n->len + l > n->cap) {
		size_t c = n->cap ? n->cap * 2 + l : 1024 + l;
		char *p = realloc(n->p, c);
		if (!p) {
			n->err = 1;
			return XATTR_ABORT;
		}
		n->p = p;
		n->cap = c;
	}
	memcpy(n->p + n->len, name, l);
	n->len += l;
	return 0;
}

/* e2_xattr_list returns the names, each NUL-terminated, in malloc'd memory
 * the caller frees with e2_free_mem. */
errcode_t e2_xattr_list(ext2_filsys fs, ext2_ino_t ino, char **buf, size_t *len)
{
	struct ext2_xattr_handle *h;
	struct names n = {NULL, 0, 0, 0};
	errcode_t e;

	if ((e = xopen(fs, ino, &h)))
		return e;
	e = ext2fs_xattrs_iterate(h, list_proc, &n);
	ext2fs_xattrs_close(&h);
	if (!e && n.err)
		e = EXT2_ET_NO_MEMORY;
	if (e) {
		free(n.p);
		return e;
	}
	*buf = n.p;
	*len = n.len;
	return 0;
}

/* e2_free_mem frees memory returned by e2_readdir, e2_xattr_get or
 * e2_xattr_list (libext2fs's allocator is malloc). */
void e2_free_mem(void *p)
{
	free(p);
}
