/* add_drive refuses, by itself and before launch, a file that launch
 * could not open, as libguestfs does: a missing file (ENOENT, the message
 * "FILE: No such file or directory"), a directory (EISDIR), a file that
 * cannot be read, or written for a read-write drive (EACCES). add_drive_ro
 * and add_cdrom go through the same check; /dev/null is still a drive. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "tests.h"

/* The last error must be "ACTION: FILE: TEXT..." with errno ERR. */
static void
check_error (guestfs_h *g, const char *action, const char *file, const char *text, int err)
{
  const char *msg = guestfs_last_error (g);
  char want[4096];

  CHECK (msg != NULL);
  CHECK (guestfs_last_errno (g) == err);
  snprintf (want, sizeof want, "%s: %s: %s", action, file, text);
  if (strncmp (msg, want, strlen (want)) != 0) {
    fprintf (stderr, "error is \"%s\", want it to start with \"%s\"\n", msg, want);
    exit (EXIT_FAILURE);
  }
}

/* Set the effective ids of this thread only (raw system calls: glibc's
 * wrappers change every thread). The library runs add_drive on the calling
 * thread, so a test run as root sees the permission checks. */
static void
set_thread_ids (uid_t uid, gid_t gid)
{
  if (uid != 0) {
    CHECK (syscall (SYS_setresgid, -1, gid, -1) == 0);
    CHECK (syscall (SYS_setresuid, -1, uid, -1) == 0);
  } else {
    CHECK (syscall (SYS_setresuid, -1, uid, -1) == 0);
    CHECK (syscall (SYS_setresgid, -1, gid, -1) == 0);
  }
}

int
main (void)
{
  guestfs_h *g = quiet_handle ();
  const char *path = getenv ("LIBGUESTFS_PATH");
  const char *missing = "/nonexistent/dir/disk.img";
  char dir[] = "/tmp/goguestfs-test-adddrive-XXXXXX";
  char ro[4096], img[4096];
  char **l;
  size_t i;
  int fd, root = geteuid () == 0;

  CHECK (path != NULL);
  CHECK (guestfs_set_path (g, path) == 0);

  /* A missing file, by every way of adding a drive. */
  CHECK (guestfs_add_drive (g, missing) == -1);
  check_error (g, "add_drive", missing, "No such file or directory", ENOENT);
  CHECK (STREQ (guestfs_last_error (g), "add_drive: /nonexistent/dir/disk.img: No such file or directory"));
  CHECK (guestfs_add_drive_ro (g, missing) == -1);
  check_error (g, "add_drive_ro", missing, "No such file or directory", ENOENT);
  CHECK (guestfs_add_cdrom (g, missing) == -1);
  check_error (g, "add_cdrom", missing, "No such file or directory", ENOENT);
  CHECK (guestfs_add_drive_opts (g, missing, GUESTFS_ADD_DRIVE_OPTS_FORMAT, "raw",
                                 GUESTFS_ADD_DRIVE_OPTS_READONLY, 1, -1) == -1);
  check_error (g, "add_drive_opts", missing, "No such file or directory", ENOENT);

  /* A directory. */
  CHECK (mkdtemp (dir) != NULL);
  CHECK (chmod (dir, 0755) == 0);
  CHECK (guestfs_add_drive_ro (g, dir) == -1);
  check_error (g, "add_drive_ro", dir, "Is a directory", EISDIR);

  /* A file that may be read but not written, then one with no access. */
  snprintf (ro, sizeof ro, "%s/ro.img", dir);
  snprintf (img, sizeof img, "%s/disk.img", dir);
  fd = open (ro, O_CREAT | O_WRONLY, 0444);
  CHECK (fd >= 0);
  CHECK (ftruncate (fd, 1 << 20) == 0);
  close (fd);
  CHECK (chmod (ro, 0444) == 0);
  fd = open (img, O_CREAT | O_WRONLY, 0644);
  CHECK (fd >= 0);
  CHECK (ftruncate (fd, 1 << 20) == 0);
  close (fd);

  if (root)
    set_thread_ids (65534, 65534);
  CHECK (guestfs_add_drive (g, ro) == -1);
  check_error (g, "add_drive", ro, "Permission denied", EACCES);
  CHECK (strstr (guestfs_last_error (g), "readonly") != NULL);
  CHECK (guestfs_add_drive_ro (g, ro) == 0);        /* /dev/sda */
  if (root)
    set_thread_ids (0, 0);
  CHECK (chmod (ro, 0) == 0);
  if (root)
    set_thread_ids (65534, 65534);
  CHECK (guestfs_add_drive_ro (g, ro) == -1);
  check_error (g, "add_drive_ro", ro, "Permission denied", EACCES);
  if (root)
    set_thread_ids (0, 0);

  /* What can be opened is still accepted, and launch opens it. */
  CHECK (guestfs_add_drive (g, "/dev/null") == 0);  /* /dev/sdb */
  CHECK (guestfs_add_drive (g, img) == 0);          /* /dev/sdc */
  CHECK (chmod (ro, 0444) == 0);
  CHECK (guestfs_launch (g) == 0);
  l = guestfs_list_devices (g);
  CHECK (l && l[0] && l[1] && l[2] && !l[3]);
  for (i = 0; l[i]; i++) free (l[i]);
  free (l);
  CHECK (guestfs_blockdev_getsize64 (g, "/dev/sdb") == 0);
  CHECK (guestfs_blockdev_getsize64 (g, "/dev/sdc") == 1 << 20);
  guestfs_close (g);

  unlink (ro);
  unlink (img);
  rmdir (dir);
  return 0;
}
