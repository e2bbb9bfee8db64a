/* ops.h: libext2fs operation sequences, one call per filesystem operation
 * (fuse2fs 1.47.0 is the reference user; see docs/notes/ext-libext2fs.md).
 * Every function is called with the Go filesystem's mutex held. */
#ifndef EXT_OPS_H
#define EXT_OPS_H
#include <stddef.h>
#include <ext2fs/ext2fs.h>

/* e2_stat is what Stat needs of an inode. */
struct e2_stat {
	unsigned int mode, uid, gid, links, flags, rmajor, rminor;
	unsigned long long size, blocks;
	long long atime, mtime, ctime;
	unsigned int atime_ns, mtime_ns, ctime_ns;
};

/* e2_statfs is what StatFS needs of the superblock. */
struct e2_statfs {
	unsigned long long blocks, bfree, bavail, files, ffree;
	unsigned int bsize;
};

/* ops_fs.c */
errcode_t e2_open(const char *name, int rw, ext2_filsys *ret);
errcode_t e2_set_clean(ext2_filsys fs, int clean);
errcode_t e2_close(ext2_filsys fs);
errcode_t e2_journal_map(ext2_filsys fs, unsigned long long *map, unsigned n);
errcode_t e2_clear_recover(const char *name);
int e2_can_allocate(ext2_filsys fs, unsigned long long blocks);
void e2_statfs(ext2_filsys fs, struct e2_statfs *st);
void e2_set_label(ext2_filsys fs, const char *label, size_t len);
void e2_set_uuid(ext2_filsys fs, const unsigned char *uuid);
const char *e2_message(errcode_t e);

/* ops_dir.c */
errcode_t e2_lookup(ext2_filsys fs, ext2_ino_t dir, const char *name, int len, ext2_ino_t *ino);
errcode_t e2_readdir(ext2_filsys fs, ext2_ino_t dir, char **buf, size_t *len);
errcode_t e2_dir_empty(ext2_filsys fs, ext2_ino_t dir, int *empty);
errcode_t e2_create(ext2_filsys fs, ext2_ino_t parent, const char *name, int mode,
		    unsigned int gid, ext2_ino_t *ret);
errcode_t e2_mknod(ext2_filsys fs, ext2_ino_t parent, const char *name, int mode,
		   unsigned int gid, unsigned int major, unsigned int minor, ext2_ino_t *ret);
errcode_t e2_mkdir(ext2_filsys fs, ext2_ino_t parent, const char *name, int mode,
		   unsigned int gid, ext2_ino_t *ret);
errcode_t e2_symlink(ext2_filsys fs, ext2_ino_t parent, const char *name, const char *target,
		     unsigned int gid, ext2_ino_t *ret);
errcode_t e2_link(ext2_filsys fs, ext2_ino_t ino, ext2_ino_t parent, const char *name);
errcode_t e2_unlink(ext2_filsys fs, ext2_ino_t parent, const char *name, ext2_ino_t ino, int keep);
errcode_t e2_rmdir(ext2_filsys fs, ext2_ino_t parent, const char *name, ext2_ino_t ino);
errcode_t e2_move(ext2_filsys fs, ext2_ino_t fdir, const char *fname, ext2_ino_t ino,
		  ext2_ino_t tdir, const char *tname);
errcode_t e2_replace(ext2_filsys fs, ext2_ino_t fdir, const char *fname, ext2_ino_t ino,
		     ext2_ino_t tdir, const char *tname, ext2_ino_t tino, int keep);
errcode_t e2_free_inode(ext2_filsys fs, ext2_ino_t ino);

/* ops_file.c */
errcode_t e2_pwrite(ext2_filsys fs, ext2_ino_t ino, const void *buf, unsigned len,
		    unsigned long long off, unsigned *got);
errcode_t e2_pread(ext2_filsys fs, ext2_ino_t ino, void *buf, unsigned len,
		   unsigned long long off, unsigned *got);
errcode_t e2_truncate(ext2_filsys fs, ext2_ino_t ino, unsigned long long len);
errcode_t e2_readlink(ext2_filsys fs, ext2_ino_t ino, char *buf, size_t cap, size_t *len);

/* ops_attr.c */
errcode_t e2_stat(ext2_filsys fs, ext2_ino_t ino, struct e2_stat *st);
errcode_t e2_chmod(ext2_filsys fs, ext2_ino_t ino, int mode);
errcode_t e2_chown(ext2_filsys fs, ext2_ino_t ino, long long uid, long long gid);
errcode_t e2_utimens(ext2_filsys fs, ext2_ino_t ino, int set_a, long long asec, long ansec,
		     int set_m, long long msec, long mnsec);
errcode_t e2_xattr_get(ext2_filsys fs, ext2_ino_t ino, const char *key, void **val, size_t *len);
errcode_t e2_xattr_set(ext2_filsys fs, ext2_ino_t ino, const char *key, const void *val, size_t len);
errcode_t e2_xattr_remove(ext2_filsys fs, ext2_ino_t ino, const char *key);
errcode_t e2_xattr_list(ext2_filsys fs, ext2_ino_t ino, char **buf, size_t *len);
void e2_free_mem(void *p);
/* ops_data.c */
errcode_t e2_next_data(ext2_filsys fs, ext2_ino_t ino, unsigned long long off,
		       unsigned long long *start, unsigned long long *end, int *found);
/* ops_zerofree.c */
errcode_t e2_free_run(ext2_filsys fs, unsigned long long from, unsigned long long last,
		      unsigned long long *start, unsigned long long *end);
errcode_t e2_flush(ext2_filsys fs);
#endif
