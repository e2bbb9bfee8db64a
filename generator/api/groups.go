package api

// groups are the daemon's areas, in the order of the generated interfaces.
var groups = []Group{
	{"base", "flushing and the availability of optional groups"},
	{"debug", "debugging commands for tests"},
	{"blockdev", "whole block devices: listing, sizes, read-only flags, raw reads and writes"},
	{"part", "partition tables: MBR and GPT"},
	{"fs", "filesystems: making, mounting, labels, checking"},
	{"file", "files and directories of the mounted filesystems"},
	{"transfer", "moving data between host files and the guest, and between devices and files"},
}

// optgroups are libguestfs's optional groups, all of them, so that
// `available_all_groups` answers as libguestfs does and `available` tells a
// group it does not know from one it knows but lacks.
var optgroups = []Optgroup{
	{"acl", "POSIX ACLs"},
	{"blkdiscard", "discarding a whole device"},
	{"blkdiscardzeroes", "whether discarded blocks read as zeros"},
	{"btrfs", "btrfs filesystems"},
	{"clevisluks", "Clevis LUKS unlocking"},
	{"extlinux", "the extlinux bootloader"},
	{"f2fs", "f2fs filesystems"},
	{"fstrim", "trimming free space of a filesystem"},
	{"gdisk", "GPT repair and resizing (sgdisk's operations)"},
	{"grub", "the GRUB bootloader"},
	{"hivex", "Windows Registry hives"},
	{"inotify", "inotify watches"},
	{"journal", "the systemd journal"},
	{"ldm", "Windows dynamic disks"},
	{"libtsk", "The Sleuth Kit's file listing"},
	{"libyara", "Yara scans"},
	{"linuxcaps", "Linux file capabilities"},
	{"linuxfsuuid", "setting filesystem UUIDs"},
	{"linuxmodules", "loading kernel modules"},
	{"linuxxattrs", "Linux extended attributes"},
	{"luks", "LUKS encrypted devices"},
	{"lvm2", "LVM2 volumes"},
	{"mdadm", "Linux software RAID"},
	{"mknod", "device nodes, FIFOs and sockets"},
	{"ntfs3g", "NTFS filesystems"},
	{"ntfsprogs", "NTFS tools"},
	{"rsync", "rsync transfers"},
	{"scrub", "scrubbing data"},
	{"selinux", "SELinux contexts"},
	{"selinuxrelabel", "SELinux relabelling"},
	{"sleuthkit", "The Sleuth Kit's recovery"},
	{"squashfs", "making squashfs images"},
	{"syslinux", "the syslinux bootloader"},
	{"wipefs", "wiping filesystem signatures"},
	{"xfs", "XFS filesystems"},
	{"xz", "xz compression"},
	{"zerofree", "zeroing free space of ext filesystems"},
}
