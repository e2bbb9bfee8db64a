/* ftio.h: a read-only io_manager over a Go device, and the libext2fs call
 * sequences of tune2fs -l and zerofree (ftio.c). */
#ifndef FSTOOLS_FTIO_H
#define FSTOOLS_FTIO_H
#include <stdint.h>
#include <stdio.h>
#include <ext2fs/ext2fs.h>
#include <et/com_err.h>
#include <e2p/e2p.h>

/* ft_state's bits. */
#define FT_NEEDS_RECOVERY 1
#define FT_NOT_CLEAN 2
#define FT_ERRORS 4

/* ft_open opens "fstools:<cgo.Handle>" read-only, with the flags of
 * tune2fs -l when journal_dev_ok (an external journal device opens). */
errcode_t ft_open(const char *name, int journal_dev_ok, ext2_filsys *fs);
int ft_journal_dev(ext2_filsys fs);
/* ft_list_super prints the superblock as tune2fs -l does into *out
 * (malloc'd, *len bytes). */
errcode_t ft_list_super(ext2_filsys fs, char **out, size_t *len);
/* ft_state returns FT_* bits and the size of the filesystem. */
int ft_state(ext2_filsys fs, unsigned long long *blocks, unsigned int *blocksize,
	     unsigned long long *first);
errcode_t ft_read_block_bitmap(ext2_filsys fs);
/* ft_next_free finds the first run of free blocks [*first, *end) at or
 * after start; *end is 0 when there is none. */
errcode_t ft_next_free(ext2_filsys fs, unsigned long long start, unsigned long long *first,
		       unsigned long long *end);
const char *ft_message(errcode_t e);
void ft_init(void);
#endif
