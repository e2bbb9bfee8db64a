package main

// The filesystem drivers of the daemon, each registered by its init.
import (
	_ "goguestfs/daemon/fs/iso9660"
	_ "goguestfs/daemon/fs/squashfs"
)
