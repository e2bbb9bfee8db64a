/* goio.h: the io_manager that reads and writes a Go fs.Device. */
#ifndef EXT_GOIO_H
#define EXT_GOIO_H
#include <stdint.h>
#include <ext2fs/ext2fs.h>

/* goio_io_manager opens names of the form "goio:<decimal cgo.Handle>". */
extern io_manager goio_io_manager;
#endif
