/* ops_int.h: helpers shared by the ops_*.c files. */
#ifndef EXT_OPS_INT_H
#define EXT_OPS_INT_H
#include <ext2fs/ext2fs.h>

errcode_t e2i_read(ext2_filsys fs, ext2_ino_t ino, struct ext2_inode_large *i);
errcode_t e2i_write(ext2_filsys fs, ext2_ino_t ino, struct ext2_inode_large *i);
void e2i_touch(struct ext2_inode_large *i, int mtime);
errcode_t e2i_touch_ino(ext2_filsys fs, ext2_ino_t ino, int mtime);
void e2i_set_owner(struct ext2_inode_large *i, unsigned uid, unsigned gid);
int e2i_ftype(int mode);
errcode_t e2i_expand_inline(ext2_filsys fs, ext2_ino_t ino);
errcode_t e2i_free_inode(ext2_filsys fs, ext2_ino_t ino, struct ext2_inode_large *inode);
void e2i_set_time(struct ext2_inode_large *i, int which, long long sec, long nsec);

enum { E2I_ATIME, E2I_MTIME, E2I_CTIME, E2I_CRTIME };
#endif
