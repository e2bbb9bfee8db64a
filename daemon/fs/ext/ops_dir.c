/* ops_dir.c: directory operations (lookup, readdir, create, mkdir, symlink,
 * link, unlink, rmdir, move). Name checks and existence checks are done by
 * the Go caller: ext2fs_link adds duplicates happily. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ops.h"
#include "ops_int.h"

errcode_t e2_lookup(ext2_filsys fs, ext2_ino_t dir, const char *name, int len, ext2_ino_t *ino)
{
	return ext2fs_lookup(fs, dir, name, len, NULL, ino);
}

/* ext2fs_link with the EXT2_ET_DIR_NO_SPACE -> ext2fs_expand_dir retry. */
static errcode_t link_expand(ext2_filsys fs, ext2_ino_t dir, const char *name,
			     ext2_ino_t ino, int ft)
{
	errcode_t e = ext2fs_link(fs, dir, name, ino, ft);

	if (e == EXT2_ET_DIR_NO_SPACE) {
		if ((e = ext2fs_expand_dir(fs, dir)))
			return e;
		e = ext2fs_link(fs, dir, name, ino, ft);
	}
	return e;
}

/* is_dot is whether a directory entry is named "." or "..". */
static int is_dot(struct ext2_dir_entry *d)
{
	int n = ext2fs_dirent_name_len(d);

	return (n == 1 && d->name[0] == '.') || (n == 2 && d->name[0] == '.' && d->name[1] == '.');
}

/* rd_buf is the records e2_readdir collects; idx counts the live entries
 * seen so far. */
struct rd_buf { char *p; size_t len, cap; errcode_t err; int idx; };

/* readdir_proc appends (u32 ino, u8 type, u8 namelen, name) records. The
 * "." and ".." of the first two entries are left out; a "." or ".." past
 * them (a corrupt or hostile directory) is kept, for the caller to refuse
 * with the names holding "/" or NUL. The position is counted here because
 * the entry argument restarts for each part of an inline-data directory. */
static int readdir_proc(ext2_ino_t dir, int entry, struct ext2_dir_entry *d, int off,
			int bs, char *buf, void *priv)
{
	struct rd_buf *r = priv;
	int n = ext2fs_dirent_name_len(d);
	(void)dir; (void)entry; (void)off; (void)bs; (void)buf;

	if (d->inode == 0)
		return 0;
	if (r->idx++ < 2 && is_dot(d))
		return 0;
	if (r->len + 6 + n > r->cap) {
		size_t c = r->cap ? r->cap * 2 : 4096;
		char *p = realloc(r->p, c);
		if (!p) {
			r->err = EXT2_ET_NO_MEMORY;
			return DIRENT_ABORT;
		}
		r->p = p;
		r->cap = c;
	}
	memcpy(r->p + r->len, &d->inode, 4);
	r->p[r->len + 4] = (char)ext2fs_dirent_file_type(d);
	r->p[r->len + 5] = (char)n;
	memcpy(r->p + r->len + 6, d->name, n);
	r->len += 6 + n;
	return 0;
}

/* e2_readdir returns the entries of dir but the leading "." and "..", in a
 * malloc'd buffer of records the caller frees with e2_free_mem. */
errcode_t e2_readdir(ext2_filsys fs, ext2_ino_t dir, char **buf, size_t *len)
{
	struct rd_buf r = {NULL, 0, 0, 0, 0};
	errcode_t e = ext2fs_dir_iterate2(fs, dir, 0, NULL, readdir_proc, &r);

	if (!e)
		e = r.err;
	if (e) {
		free(r.p);
		return e;
	}
	*buf = r.p;
	*len = r.len;
	return 0;
}

struct empty_state { int empty, idx; };

/* empty_proc: past the leading "." and "..", any live entry (a stray "."
 * or ".." too, as the kernel's empty_dir counts it) makes dir not empty. */
static int empty_proc(ext2_ino_t dir, int entry, struct ext2_dir_entry *d, int off,
		      int bs, char *buf, void *priv)
{
	struct empty_state *s = priv;
	(void)dir; (void)entry; (void)off; (void)bs; (void)buf;

	if (d->inode == 0)
		return 0;
	if (s->idx++ < 2 && is_dot(d))
		return 0;
	s->empty = 0;
	return DIRENT_ABORT;
}

errcode_t e2_dir_empty(ext2_filsys fs, ext2_ino_t dir, int *empty)
{
	struct empty_state s = {1, 0};
	errcode_t e = ext2fs_dir_iterate2(fs, dir, 0, NULL, empty_proc, &s);

	*empty = s.empty;
	return e;
}

/* e2_create makes a regular file, owned by root and group gid, with an
 * empty extent tree when the filesystem has extents (fuse2fs op_create). */
errcode_t e2_create(ext2_filsys fs, ext2_ino_t parent, const char *name, int mode,
		    unsigned int gid, ext2_ino_t *ret)
{
	struct ext2_inode_large inode;
	struct timespec ts;
	ext2_ino_t child;
	errcode_t e;

	mode = LINUX_S_IFREG | (mode & 07777);
	if ((e = ext2fs_new_inode(fs, parent, mode, 0, &child)))
		return e;
	if ((e = link_expand(fs, parent, name, child, EXT2_FT_REG_FILE)))
		return e;
	if ((e = e2i_touch_ino(fs, parent, 1)))
		return e;
	memset(&inode, 0, sizeof(inode));
	inode.i_mode = mode;
	e2i_set_owner(&inode, 0, gid);
	inode.i_links_count = 1;
	inode.i_extra_isize = sizeof(struct ext2_inode_large) - EXT2_GOOD_OLD_INODE_SIZE;
	if (ext2fs_has_feature_extents(fs->super)) {
		ext2_extent_handle_t h;
		if ((e = ext2fs_extent_open2(fs, child, (struct ext2_inode *)&inode, &h)))
			return e;
		ext2fs_extent_free(h);
	}
	if ((e = ext2fs_write_new_inode(fs, child, (struct ext2_inode *)&inode)))
		return e;
	clock_gettime(CLOCK_REALTIME, &ts);
	e2i_set_time(&inode, E2I_ATIME, ts.tv_sec, ts.tv_nsec);
	e2i_set_time(&inode, E2I_MTIME, ts.tv_sec, ts.tv_nsec);
	e2i_set_time(&inode, E2I_CTIME, ts.tv_sec, ts.tv_nsec);
	e2i_set_time(&inode, E2I_CRTIME, ts.tv_sec, ts.tv_nsec);
	if ((e = e2i_write(fs, child, &inode)))
		return e;
	ext2fs_inode_alloc_stats2(fs, child, +1, 0);
	*ret = child;
	return 0;
}

/* e2_mknod makes a block or character device, FIFO or socket (mode holds
 * the type), owned by root and group gid, with the device number in
 * i_block as the kernel encodes it (fuse2fs op_mknod). */
errcode_t e2_mknod(ext2_filsys fs, ext2_ino_t parent, const char *name, int mode,
		   unsigned int gid, unsigned int major, unsigned int minor, ext2_ino_t *ret)
{
	struct ext2_inode_large inode;
	struct timespec ts;
	ext2_ino_t child;
	int ft;
	errcode_t e;

	switch (mode & LINUX_S_IFMT) {
	case LINUX_S_IFCHR: ft = EXT2_FT_CHRDEV; break;
	case LINUX_S_IFBLK: ft = EXT2_FT_BLKDEV; break;
	case LINUX_S_IFIFO: ft = EXT2_FT_FIFO; break;
	case LINUX_S_IFSOCK: ft = EXT2_FT_SOCK; break;
	default: return EXT2_ET_INVALID_ARGUMENT;
	}
	if ((e = ext2fs_new_inode(fs, parent, mode, 0, &child)))
		return e;
	if ((e = link_expand(fs, parent, name, child, ft)))
		return e;
	if ((e = e2i_touch_ino(fs, parent, 1)))
		return e;
	memset(&inode, 0, sizeof(inode));
	inode.i_mode = mode;
	e2i_set_owner(&inode, 0, gid);
	inode.i_links_count = 1;
	inode.i_extra_isize = sizeof(struct ext2_inode_large) - EXT2_GOOD_OLD_INODE_SIZE;
	if (major < 256 && minor < 256) {
		inode.i_block[0] = major * 256 + minor;
		inode.i_block[1] = 0;
	} else {
		inode.i_block[0] = 0;
		inode.i_block[1] = (minor & 0xff) | (major << 8) | ((minor & ~0xffU) << 12);
	}
	if ((e = ext2fs_write_new_inode(fs, child, (struct ext2_inode *)&inode)))
		return e;
	clock_gettime(CLOCK_REALTIME, &ts);
	e2i_set_time(&inode, E2I_ATIME, ts.tv_sec, ts.tv_nsec);
	e2i_set_time(&inode, E2I_MTIME, ts.tv_sec, ts.tv_nsec);
	e2i_set_time(&inode, E2I_CTIME, ts.tv_sec, ts.tv_nsec);
	e2i_set_time(&inode, E2I_CRTIME, ts.tv_sec, ts.tv_nsec);
	if ((e = e2i_write(fs, child, &inode)))
		return e;
	ext2fs_inode_alloc_stats2(fs, child, +1, 0);
	*ret = child;
	return 0;
}

/* e2_mkdir makes a directory with the permission bits mode, as the caller
 * decided them (umask, the parent's set-group-ID bit), owned by root and
 * group gid; ext2fs_mkdir bumps the parent's link count. */
errcode_t e2_mkdir(ext2_filsys fs, ext2_ino_t parent, const char *name, int mode,
		   unsigned int gid, ext2_ino_t *ret)
{
	struct ext2_inode_large inode;
	ext2_ino_t child;
	errcode_t e;

	if ((e = e2i_read(fs, parent, &inode)))
		return e;
	if (inode.i_links_count >= EXT2_LINK_MAX && !ext2fs_has_feature_dir_nlink(fs->super))
		return EXT2_ET_TOO_MANY_REFS;
	e = ext2fs_mkdir(fs, parent, 0, name);
	if (e == EXT2_ET_DIR_NO_SPACE) {
		if ((e = ext2fs_expand_dir(fs, parent)))
			return e;
		e = ext2fs_mkdir(fs, parent, 0, name);
	}
	if (e)
		return e;
	if ((e = e2i_touch_ino(fs, parent, 1)))
		return e;
	if ((e = ext2fs_lookup(fs, parent, name, strlen(name), NULL, &child)))
		return e;
	if ((e = e2i_read(fs, child, &inode)))
		return e;
	inode.i_mode = LINUX_S_IFDIR | (mode & 07777);
	e2i_set_owner(&inode, 0, gid);
	if ((e = e2i_write(fs, child, &inode)))
		return e;
	*ret = child;
	return 0;
}

/* e2_symlink makes a symbolic link owned by root and group gid. */
errcode_t e2_symlink(ext2_filsys fs, ext2_ino_t parent, const char *name, const char *target,
		     unsigned int gid, ext2_ino_t *ret)
{
	struct ext2_inode_large inode;
	errcode_t e = ext2fs_symlink(fs, parent, 0, name, target);

	if (e == EXT2_ET_DIR_NO_SPACE) {
		if ((e = ext2fs_expand_dir(fs, parent)))
			return e;
		e = ext2fs_symlink(fs, parent, 0, name, target);
	}
	if (e)
		return e;
	if ((e = e2i_touch_ino(fs, parent, 1)))
		return e;
	if ((e = ext2fs_lookup(fs, parent, name, strlen(name), NULL, ret)))
		return e;
	if (gid == 0)
		return 0;
	if ((e = e2i_read(fs, *ret, &inode)))
		return e;
	e2i_set_owner(&inode, inode_uid(inode), gid);
	return e2i_write(fs, *ret, &inode);
}

/* e2_link adds a name for the non-directory ino. */
errcode_t e2_link(ext2_filsys fs, ext2_ino_t ino, ext2_ino_t parent, const char *name)
{
	struct ext2_inode_large inode;
	errcode_t e;

	if ((e = e2i_read(fs, ino, &inode)))
		return e;
	if (inode.i_links_count >= EXT2_LINK_MAX)
		return EXT2_ET_TOO_MANY_REFS;
	if ((e = link_expand(fs, parent, name, ino, e2i_ftype(inode.i_mode))))
		return e;
	inode.i_links_count++;
	e2i_touch(&inode, 0);
	if ((e = e2i_write(fs, ino, &inode)))
		return e;
	return e2i_touch_ino(fs, parent, 1);
}

/* e2i_free_inode releases an unlinked inode: its xattr block, its blocks
 * and its bitmap bit (fuse2fs remove_inode). */
errcode_t e2i_free_inode(ext2_filsys fs, ext2_ino_t ino, struct ext2_inode_large *inode)
{
	errcode_t e;

	inode->i_dtime = fs->now ? fs->now : time(NULL);
	if ((e = ext2fs_free_ext_attr(fs, ino, inode)))
		return e;
	if (ext2fs_inode_has_valid_blocks2(fs, (struct ext2_inode *)inode)) {
		if ((e = ext2fs_punch(fs, ino, (struct ext2_inode *)inode, NULL, 0, ~0ULL)))
			return e;
	}
	ext2fs_inode_alloc_stats2(fs, ino, -1, LINUX_S_ISDIR(inode->i_mode));
	return 0;
}

/* put_inode drops one link; at zero it frees the inode unless keep (an
 * open file: e2_free_inode frees it at its last close). */
static errcode_t put_inode(ext2_filsys fs, ext2_ino_t ino, int keep)
{
	struct ext2_inode_large inode;
	errcode_t e;

	if ((e = e2i_read(fs, ino, &inode)))
		return e;
	if (inode.i_links_count == 0)
		return 0;
	inode.i_links_count--;
	e2i_touch(&inode, 0);
	if (inode.i_links_count == 0 && !keep && (e = e2i_free_inode(fs, ino, &inode)))
		return e;
	return e2i_write(fs, ino, &inode);
}

errcode_t e2_free_inode(ext2_filsys fs, ext2_ino_t ino)
{
	struct ext2_inode_large inode;
	errcode_t e;

	if ((e = e2i_read(fs, ino, &inode)))
		return e;
	if (inode.i_links_count != 0 || inode.i_dtime != 0)
		return 0;
	if ((e = e2i_free_inode(fs, ino, &inode)))
		return e;
	return e2i_write(fs, ino, &inode);
}

/* e2_unlink removes the entry name (of ino) from parent and drops a link. */
errcode_t e2_unlink(ext2_filsys fs, ext2_ino_t parent, const char *name, ext2_ino_t ino, int keep)
{
	errcode_t e;

	if ((e = ext2fs_unlink(fs, parent, name, ino, 0)))
		return e;
	if ((e = e2i_touch_ino(fs, parent, 1)))
		return e;
	return put_inode(fs, ino, keep);
}

/* e2_rmdir removes the empty directory ino named name from parent: two
 * links go (the name and "."), and the parent loses the child's "..". */
errcode_t e2_rmdir(ext2_filsys fs, ext2_ino_t parent, const char *name, ext2_ino_t ino)
{
	struct ext2_inode_large inode;
	errcode_t e;

	if ((e = ext2fs_unlink(fs, parent, name, ino, 0)))
		return e;
	if ((e = put_inode(fs, ino, 0)))
		return e;
	if ((e = put_inode(fs, ino, 0)))
		return e;
	if ((e = e2i_read(fs, parent, &inode)))
		return e;
	if (inode.i_links_count > 1)
		inode.i_links_count--;
	e2i_touch(&inode, 1);
	return e2i_write(fs, parent, &inode);
}

struct dotdot { ext2_ino_t ino; };

static int dotdot_proc(ext2_ino_t dir, int entry, struct ext2_dir_entry *d, int off,
		       int bs, char *buf, void *priv)
{
	(void)dir; (void)entry; (void)off; (void)bs; (void)buf;
	if (ext2fs_dirent_name_len(d) == 2 && d->name[0] == '.' && d->name[1] == '.') {
		d->inode = ((struct dotdot *)priv)->ino;
		return DIRENT_CHANGED | DIRENT_ABORT;
	}
	return 0;
}

static errcode_t add_links(ext2_filsys fs, ext2_ino_t ino, int n)
{
	struct ext2_inode_large inode;
	errcode_t e;

	if ((e = e2i_read(fs, ino, &inode)))
		return e;
	if (n < 0 && inode.i_links_count <= 1)
		n = 0;
	inode.i_links_count += n;
	e2i_touch(&inode, 1);
	return e2i_write(fs, ino, &inode);
}

/* e2_move renames fdir/fname (ino) to tdir/tname, which must not exist
 * (fuse2fs op_rename). A directory's ".." is rewritten first, so that a
 * directory that cannot be read changes nothing; link and unlink follow. */
errcode_t e2_move(ext2_filsys fs, ext2_ino_t fdir, const char *fname, ext2_ino_t ino,
		  ext2_ino_t tdir, const char *tname)
{
	struct ext2_inode_large inode;
	struct dotdot dd = {tdir}, back = {fdir};
	int moves_dir;
	errcode_t e;

	if ((e = e2i_read(fs, ino, &inode)))
		return e;
	moves_dir = LINUX_S_ISDIR(inode.i_mode) && fdir != tdir;
	if (moves_dir && (e = ext2fs_dir_iterate2(fs, ino, 0, NULL, dotdot_proc, &dd)))
		return e;
	if ((e = link_expand(fs, tdir, tname, ino, e2i_ftype(inode.i_mode)))) {
		if (moves_dir)
			ext2fs_dir_iterate2(fs, ino, 0, NULL, dotdot_proc, &back);
		return e;
	}
	if (moves_dir) {
		if ((e = add_links(fs, fdir, -1)))
			return e;
		if ((e = add_links(fs, tdir, +1)))
			return e;
	}
	if ((e = e2i_touch_ino(fs, ino, 0)))
		return e;
	if ((e = e2i_touch_ino(fs, tdir, 1)))
		return e;
	if ((e = ext2fs_unlink(fs, fdir, fname, ino, 0)))
		return e;
	return e2i_touch_ino(fs, fdir, 1);
}

/* retarget: ftype is -1 when the filesystem has no filetype feature (the
 * byte is then the high byte of the name length). */
struct retarget {
	const char *name;
	int len, ftype, done;
	ext2_ino_t old, ino;
};

static int retarget_proc(ext2_ino_t dir, int entry, struct ext2_dir_entry *d, int off,
			 int bs, char *buf, void *priv)
{
	struct retarget *r = priv;

	(void)dir; (void)entry; (void)off; (void)bs; (void)buf;
	if (d->inode == r->old && ext2fs_dirent_name_len(d) == r->len &&
	    memcmp(d->name, r->name, r->len) == 0) {
		d->inode = r->ino;
		if (r->ftype >= 0)
			ext2fs_dirent_set_file_type(d, r->ftype);
		r->done = 1;
		return DIRENT_CHANGED | DIRENT_ABORT;
	}
	return 0;
}

/* e2_replace renames fdir/fname (ino) over the existing entry tdir/tname
 * (tino), as the kernel does: the target's entry is pointed at ino in
 * place, which needs no new block, so a full filesystem cannot lose the
 * target; then the old name goes and the target inode loses its link
 * (freed at zero unless keep: it is still open). When ino is a directory,
 * tino is an empty one. */
errcode_t e2_replace(ext2_filsys fs, ext2_ino_t fdir, const char *fname, ext2_ino_t ino,
		     ext2_ino_t tdir, const char *tname, ext2_ino_t tino, int keep)
{
	struct ext2_inode_large inode;
	struct dotdot dd = {tdir}, back = {fdir};
	struct retarget rt = {tname, (int)strlen(tname), 0, 0, tino, ino};
	int is_dir, moves_dir;
	errcode_t e;

	if ((e = e2i_read(fs, ino, &inode)))
		return e;
	is_dir = LINUX_S_ISDIR(inode.i_mode);
	moves_dir = is_dir && fdir != tdir;
	rt.ftype = ext2fs_has_feature_filetype(fs->super) ? e2i_ftype(inode.i_mode) : -1;
	if (moves_dir && (e = ext2fs_dir_iterate2(fs, ino, 0, NULL, dotdot_proc, &dd)))
		return e;
	e = ext2fs_dir_iterate2(fs, tdir, 0, NULL, retarget_proc, &rt);
	if (e || !rt.done) {
		if (moves_dir)
			ext2fs_dir_iterate2(fs, ino, 0, NULL, dotdot_proc, &back);
		return e ? e : EXT2_ET_FILE_NOT_FOUND;
	}
	if (moves_dir) {
		if ((e = add_links(fs, fdir, -1)))
			return e;
		if ((e = add_links(fs, tdir, +1)))
			return e;
	}
	if (is_dir) {
		/* The empty target loses its name and ".", tdir its "..". */
		if ((e = put_inode(fs, tino, 0)) || (e = put_inode(fs, tino, 0)))
			return e;
		if ((e = add_links(fs, tdir, -1)))
			return e;
	} else if ((e = put_inode(fs, tino, keep))) {
		return e;
	}
	if ((e = e2i_touch_ino(fs, ino, 0)))
		return e;
	if ((e = e2i_touch_ino(fs, tdir, 1)))
		return e;
	if ((e = ext2fs_unlink(fs, fdir, fname, ino, 0)))
		return e;
	return e2i_touch_ino(fs, fdir, 1);
}

