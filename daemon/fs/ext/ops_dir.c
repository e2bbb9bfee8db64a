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

/* dx_map is one entry of a directory block, by name hash (for dx_index). */
struct dx_map { __u32 hash; int off, size; };

static int dx_map_cmp(const void *a, const void *b)
{
	const struct dx_map *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->off - y->off;
}

/* dx_pack writes the n entries of map (from src) into the leaf block dst,
 * the last one stretched to the end of the block, before the checksum tail
 * when the filesystem has metadata_csum (link.c dx_move_dirents). */
static errcode_t dx_pack(ext2_filsys fs, struct dx_map *map, int n, const char *src, char *dst)
{
	int csum = ext2fs_has_feature_metadata_csum(fs->super) ? sizeof(struct ext2_dir_entry_tail) : 0;
	unsigned int off = 0, last = 0;
	errcode_t e;
	int i;

	memset(dst, 0, fs->blocksize);
	for (i = 0; i < n; i++) {
		memcpy(dst + off, src + map[i].off, map[i].size);
		if ((e = ext2fs_set_rec_len(fs, map[i].size, (struct ext2_dir_entry *)(dst + off))))
			return e;
		last = off;
		off += map[i].size;
	}
	if ((e = ext2fs_set_rec_len(fs, fs->blocksize - csum - last, (struct ext2_dir_entry *)(dst + last))))
		return e;
	if (csum)
		ext2fs_initialize_dirent_tail(fs, EXT2_DIRENT_TAIL(dst, fs->blocksize));
	return 0;
}

/* dx_index turns the full one-block directory dir into a hash-indexed one,
 * as the kernel's make_indexed_dir does when such a directory needs a
 * second block: block 0 becomes the dx root (".", "..", the root info and
 * the dx entries), the other entries go, sorted by hash and split in two,
 * to new leaf blocks 1 and 2. From then on ext2fs_link (dx_link) keeps the
 * tree. EXT2_ET_OP_NOT_SUPPORTED means the directory is not one to index;
 * the caller then grows it linearly. */
static errcode_t dx_index(ext2_filsys fs, ext2_ino_t dir)
{
	int csum = ext2fs_has_feature_metadata_csum(fs->super);
	unsigned int bs = fs->blocksize, off, rec_len, total = 0, acc = 0;
	int hv = fs->super->s_def_hash_version, alg = hv, n = 0, i, nleaf, k;
	struct ext2_dx_root_info *root;
	struct ext2_dx_countlimit *cl;
	struct ext2_dx_entry *ent;
	struct ext2_dir_entry *d;
	struct ext2_inode inode;
	struct dx_map *map = NULL;
	char *buf = NULL, *out = NULL;
	blk64_t pblk0, pblk;
	__u32 minor;
	errcode_t e;

	if (!ext2fs_has_feature_dir_index(fs->super) || ext2fs_has_feature_casefold(fs->super) ||
	    ext2fs_has_feature_encrypt(fs->super))
		return EXT2_ET_OP_NOT_SUPPORTED;
	if (hv != EXT2_HASH_LEGACY && hv != EXT2_HASH_HALF_MD4 && hv != EXT2_HASH_TEA)
		return EXT2_ET_OP_NOT_SUPPORTED;
	if (fs->super->s_flags & EXT2_FLAGS_UNSIGNED_HASH)
		alg += 3;
	if ((e = ext2fs_read_inode(fs, dir, &inode)))
		return e;
	if ((inode.i_flags & (EXT2_INDEX_FL | EXT4_INLINE_DATA_FL | EXT4_CASEFOLD_FL | EXT4_ENCRYPT_FL)) ||
	    EXT2_I_SIZE(&inode) != bs)
		return EXT2_ET_OP_NOT_SUPPORTED;
	if ((e = ext2fs_bmap2(fs, dir, &inode, NULL, 0, 0, NULL, &pblk0)))
		return e;
	if (!pblk0)
		return EXT2_ET_OP_NOT_SUPPORTED;
	if ((e = ext2fs_get_mem(bs, &buf)) || (e = ext2fs_get_mem(bs, &out)) ||
	    (e = ext2fs_get_array(bs / 12 + 1, sizeof(*map), &map)))
		goto out;
	if ((e = ext2fs_read_dir_block4(fs, pblk0, buf, 0, dir)))
		goto out;
	/* "." (rec_len 12) and ".." must lead, as the dx root needs them. */
	d = (struct ext2_dir_entry *)buf;
	if ((e = ext2fs_get_rec_len(fs, d, &rec_len)))
		goto out;
	if (ext2fs_dirent_name_len(d) != 1 || d->name[0] != '.' || rec_len != 12) {
		e = EXT2_ET_OP_NOT_SUPPORTED;
		goto out;
	}
	d = (struct ext2_dir_entry *)(buf + 12);
	if ((e = ext2fs_get_rec_len(fs, d, &rec_len)))
		goto out;
	if (ext2fs_dirent_name_len(d) != 2 || d->name[0] != '.' || d->name[1] != '.') {
		e = EXT2_ET_OP_NOT_SUPPORTED;
		goto out;
	}
	for (off = 12 + EXT2_DIR_REC_LEN(2); off < bs; off += rec_len) {
		d = (struct ext2_dir_entry *)(buf + off);
		if ((e = ext2fs_get_rec_len(fs, d, &rec_len)))
			goto out;
		if (rec_len < 8 || off + rec_len > bs) {
			e = EXT2_ET_DIR_CORRUPTED;
			goto out;
		}
		if (!d->inode || !ext2fs_dirent_name_len(d))
			continue;
		map[n].off = off;
		map[n].size = EXT2_DIR_REC_LEN(ext2fs_dirent_name_len(d));
		if ((e = ext2fs_dirhash2(alg, d->name, ext2fs_dirent_name_len(d), fs->encoding, 0,
					 fs->super->s_hash_seed, &map[n].hash, &minor)))
			goto out;
		total += map[n].size;
		n++;
	}
	if (n < 2) {
		e = EXT2_ET_OP_NOT_SUPPORTED;
		goto out;
	}
	qsort(map, n, sizeof(*map), dx_map_cmp);
	/* Split by size into two halves (kernel do_split, link.c dx_split_leaf). */
	for (i = 0; i < n - 1; i++) {
		if (acc + map[i].size / 2 > total / 2)
			break;
		acc += map[i].size;
	}
	if (i == 0)
		i = 1;
	nleaf = 2;
	/* New blocks 1 and 2 (empty leaves, the directory still linear). */
	for (k = 0; k < nleaf; k++)
		if ((e = ext2fs_expand_dir(fs, dir)))
			goto out;
	if ((e = ext2fs_read_inode(fs, dir, &inode)))
		goto out;
	for (k = 0; k < nleaf; k++) {
		if ((e = ext2fs_bmap2(fs, dir, &inode, NULL, 0, 1 + k, NULL, &pblk)))
			goto out;
		if (k == 0)
			e = dx_pack(fs, map, i, buf, out);
		else
			e = dx_pack(fs, map + i, n - i, buf, out);
		if (e || (e = ext2fs_write_dir_block4(fs, pblk, out, 0, dir)))
			goto out;
	}
	/* The root: ".", ".." to the end of the block, then the index. */
	memset(out, 0, bs);
	memcpy(out, buf, 12);
	memcpy(out + 12, buf + 12, EXT2_DIR_REC_LEN(2));
	if ((e = ext2fs_set_rec_len(fs, 12, (struct ext2_dir_entry *)out)) ||
	    (e = ext2fs_set_rec_len(fs, bs - 12, (struct ext2_dir_entry *)(out + 12))))
		goto out;
	root = (struct ext2_dx_root_info *)(out + 24);
	root->reserved_zero = 0;
	root->hash_version = hv;
	root->info_length = sizeof(*root);
	root->indirect_levels = 0;
	root->unused_flags = 0;
	cl = (struct ext2_dx_countlimit *)(out + 32);
	ent = (struct ext2_dx_entry *)cl;
	cl->limit = ext2fs_cpu_to_le16((bs - 32 - (csum ? sizeof(struct ext2_dx_tail) : 0)) /
				       sizeof(struct ext2_dx_entry));
	cl->count = ext2fs_cpu_to_le16(nleaf);
	ent[0].block = ext2fs_cpu_to_le32(1);
	ent[1].hash = ext2fs_cpu_to_le32(map[i].hash + (map[i].hash == map[i - 1].hash));
	ent[1].block = ext2fs_cpu_to_le32(2);
	if ((e = ext2fs_write_dir_block4(fs, pblk0, out, 0, dir)))
		goto out;
	if ((e = ext2fs_read_inode(fs, dir, &inode)))
		goto out;
	inode.i_flags |= EXT2_INDEX_FL;
	e = ext2fs_write_inode(fs, dir, &inode);
out:
	ext2fs_free_mem(&map);
	ext2fs_free_mem(&out);
	ext2fs_free_mem(&buf);
	return e;
}

/* dx_unindex makes the hash-indexed directory dir linear again, for when
 * its tree cannot grow (ext2fs_link's dx_link gives EXT2_ET_DIR_NO_SPACE):
 * the root keeps "." and "..", the index blocks become empty leaves (with
 * their checksum tails), and EXT2_INDEX_FL goes. A linear directory is
 * always valid; the leaves are kept as they are. */
static errcode_t dx_unindex(ext2_filsys fs, ext2_ino_t dir)
{
	int csum = ext2fs_has_feature_metadata_csum(fs->super) ? sizeof(struct ext2_dir_entry_tail) : 0;
	unsigned int bs = fs->blocksize, rec_len;
	struct ext2_dir_entry *d;
	struct ext2_inode inode;
	blk64_t lblk, nblk, pblk;
	char *buf = NULL;
	errcode_t e;

	if ((e = ext2fs_read_inode(fs, dir, &inode)))
		return e;
	if ((e = ext2fs_get_mem(bs, &buf)))
		return e;
	nblk = EXT2_I_SIZE(&inode) / bs;
	for (lblk = 0; lblk < nblk; lblk++) {
		if ((e = ext2fs_bmap2(fs, dir, &inode, NULL, 0, lblk, NULL, &pblk)))
			goto out;
		if (!pblk)
			continue;
		if ((e = io_channel_read_blk64(fs->io, pblk, 1, buf)))
			goto out;
		d = (struct ext2_dir_entry *)buf;
		if ((e = ext2fs_get_rec_len(fs, d, &rec_len)))
			goto out;
		if (lblk == 0) {
			/* keep "." (12) and ".." (its 12 bytes), drop the index */
			memset(buf + 24, 0, bs - 24);
			if ((e = ext2fs_set_rec_len(fs, bs - 12 - csum, (struct ext2_dir_entry *)(buf + 12))))
				goto out;
		} else if (!d->inode && !ext2fs_dirent_name_len(d) && rec_len == bs) {
			memset(buf, 0, bs);
			if ((e = ext2fs_set_rec_len(fs, bs - csum, d)))
				goto out;
		} else
			continue;
		if (csum)
			ext2fs_initialize_dirent_tail(fs, EXT2_DIRENT_TAIL(buf, bs));
		if ((e = ext2fs_write_dir_block4(fs, pblk, buf, 0, dir)))
			goto out;
	}
	inode.i_flags &= ~EXT2_INDEX_FL;
	e = ext2fs_write_inode(fs, dir, &inode);
out:
	ext2fs_free_mem(&buf);
	return e;
}

/* dir_make_room is what to do when adding a name to dir gave
 * EXT2_ET_DIR_NO_SPACE: a full one-block directory becomes hash-indexed
 * (on a dir_index filesystem, as the kernel does), an indexed one whose
 * tree cannot grow becomes linear again, and a linear one gets a block. */
static errcode_t dir_make_room(ext2_filsys fs, ext2_ino_t dir)
{
	struct ext2_inode inode;
	errcode_t e;

	if ((e = ext2fs_read_inode(fs, dir, &inode)))
		return e;
	if (inode.i_flags & EXT2_INDEX_FL) {
		if ((e = dx_unindex(fs, dir)))
			return e;
	} else {
		e = dx_index(fs, dir);
		if (e != EXT2_ET_OP_NOT_SUPPORTED)
			return e;
	}
	return ext2fs_expand_dir(fs, dir);
}

/* ext2fs_link with the EXT2_ET_DIR_NO_SPACE -> dir_make_room retry (twice:
 * an indexed directory whose tree is full is made linear, then grown). */
static errcode_t link_expand(ext2_filsys fs, ext2_ino_t dir, const char *name,
			     ext2_ino_t ino, int ft)
{
	errcode_t e = ext2fs_link(fs, dir, name, ino, ft);
	int tries;

	for (tries = 0; e == EXT2_ET_DIR_NO_SPACE && tries < 3; tries++) {
		if ((e = dir_make_room(fs, dir)))
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

/* new_entry allocates an inode for mode, links it into parent as name
 * (file type ft) and fills *inode with what every new inode starts with:
 * mode, owner root and group gid, one link. */
static errcode_t new_entry(ext2_filsys fs, ext2_ino_t parent, const char *name, int mode,
			   unsigned int gid, int ft, struct ext2_inode_large *inode, ext2_ino_t *child)
{
	errcode_t e;

	if ((e = ext2fs_new_inode(fs, parent, mode, 0, child)))
		return e;
	if ((e = link_expand(fs, parent, name, *child, ft)))
		return e;
	if ((e = e2i_touch_ino(fs, parent, 1)))
		return e;
	memset(inode, 0, sizeof(*inode));
	inode->i_mode = mode;
	e2i_set_owner(inode, 0, gid);
	inode->i_links_count = 1;
	inode->i_extra_isize = sizeof(struct ext2_inode_large) - EXT2_GOOD_OLD_INODE_SIZE;
	return 0;
}

/* finish_entry writes the new inode child with all four times now and
 * counts it allocated. */
static errcode_t finish_entry(ext2_filsys fs, ext2_ino_t child, struct ext2_inode_large *inode,
			      ext2_ino_t *ret)
{
	struct timespec ts;
	errcode_t e;

	if ((e = ext2fs_write_new_inode(fs, child, (struct ext2_inode *)inode)))
		return e;
	clock_gettime(CLOCK_REALTIME, &ts);
	e2i_set_time(inode, E2I_ATIME, ts.tv_sec, ts.tv_nsec);
	e2i_set_time(inode, E2I_MTIME, ts.tv_sec, ts.tv_nsec);
	e2i_set_time(inode, E2I_CTIME, ts.tv_sec, ts.tv_nsec);
	e2i_set_time(inode, E2I_CRTIME, ts.tv_sec, ts.tv_nsec);
	if ((e = e2i_write(fs, child, inode)))
		return e;
	ext2fs_inode_alloc_stats2(fs, child, +1, 0);
	*ret = child;
	return 0;
}

/* e2_create makes a regular file, owned by root and group gid, with an
 * empty extent tree when the filesystem has extents (fuse2fs op_create). */
errcode_t e2_create(ext2_filsys fs, ext2_ino_t parent, const char *name, int mode,
		    unsigned int gid, ext2_ino_t *ret)
{
	struct ext2_inode_large inode;
	ext2_ino_t child;
	errcode_t e;

	mode = LINUX_S_IFREG | (mode & 07777);
	if ((e = new_entry(fs, parent, name, mode, gid, EXT2_FT_REG_FILE, &inode, &child)))
		return e;
	if (ext2fs_has_feature_extents(fs->super)) {
		ext2_extent_handle_t h;
		if ((e = ext2fs_extent_open2(fs, child, (struct ext2_inode *)&inode, &h)))
			return e;
		ext2fs_extent_free(h);
	}
	return finish_entry(fs, child, &inode, ret);
}

/* e2_mknod makes a block or character device, FIFO or socket (mode holds
 * the type), owned by root and group gid, with the device number in
 * i_block as the kernel encodes it (fuse2fs op_mknod). */
errcode_t e2_mknod(ext2_filsys fs, ext2_ino_t parent, const char *name, int mode,
		   unsigned int gid, unsigned int major, unsigned int minor, ext2_ino_t *ret)
{
	struct ext2_inode_large inode;
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
	if ((e = new_entry(fs, parent, name, mode, gid, ft, &inode, &child)))
		return e;
	if (major < 256 && minor < 256) {
		inode.i_block[0] = major * 256 + minor;
		inode.i_block[1] = 0;
	} else {
		inode.i_block[0] = 0;
		inode.i_block[1] = (minor & 0xff) | (major << 8) | ((minor & ~0xffU) << 12);
	}
	return finish_entry(fs, child, &inode, ret);
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
	for (int tries = 0; e == EXT2_ET_DIR_NO_SPACE && tries < 3; tries++) {
		if ((e = dir_make_room(fs, parent)))
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

	for (int tries = 0; e == EXT2_ET_DIR_NO_SPACE && tries < 3; tries++) {
		if ((e = dir_make_room(fs, parent)))
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

