/* The daemon from C: launch, drives (scratch, /dev/null, a read-only
 * image), partition actions with their returned structs and buffers
 * (freed here; valgrind checks), errno from the daemon, progress events,
 * user_cancel from a progress callback, shutdown and close events. */
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>
#include "tests.h"

static int progress_events, cancel_on_progress;
static uint64_t last_position, last_total;
static char events[256];

static void
on_progress (guestfs_h *g, void *opaque, uint64_t event, int eh, int flags,
             const char *buf, size_t buf_len, const uint64_t *array, size_t array_len)
{
  CHECK (array_len == 4);
  CHECK (array[2] <= array[3]);
  progress_events++;
  last_position = array[2];
  last_total = array[3];
  if (cancel_on_progress)
    guestfs_user_cancel (g);
}

static void
on_lifecycle (guestfs_h *g, void *opaque, uint64_t event, int eh, int flags,
              const char *buf, size_t buf_len, const uint64_t *array, size_t array_len)
{
  char *name = guestfs_event_to_string (event);
  strcat (events, name);
  strcat (events, " ");
  free (name);
}

int
main (void)
{
  guestfs_h *g = quiet_handle ();
  const char *path = getenv ("LIBGUESTFS_PATH");
  char img[] = "/tmp/goguestfs-test-daemon-XXXXXX";
  char **l, *s;
  struct guestfs_partition_list *parts;
  size_t size, i;
  int fd;

  setenv ("GOGUESTFS_TEST_PROGRESS", "50,20", 1);
  CHECK (path != NULL);
  CHECK (guestfs_set_path (g, path) == 0);

  /* A daemon action before launch. */
  CHECK (guestfs_list_devices (g) == NULL);
  CHECK (guestfs_last_errno (g) == EINVAL);

  fd = mkstemp (img);
  CHECK (fd >= 0);
  CHECK (ftruncate (fd, 4 << 20) == 0);
  close (fd);

  CHECK (guestfs_set_event_callback (g, on_lifecycle,
                                     GUESTFS_EVENT_LAUNCH_DONE | GUESTFS_EVENT_SUBPROCESS_QUIT | GUESTFS_EVENT_CLOSE,
                                     0, NULL) >= 0);
  CHECK (guestfs_set_event_callback (g, on_progress, GUESTFS_EVENT_PROGRESS, 0, NULL) >= 0);
  CHECK (guestfs_add_drive_scratch (g, 64 << 20, -1) == 0);
  CHECK (guestfs_add_drive_opts (g, "/dev/null", GUESTFS_ADD_DRIVE_OPTS_FORMAT, "raw", -1) == 0);
  CHECK (guestfs_add_drive_opts (g, img, GUESTFS_ADD_DRIVE_OPTS_READONLY, 1, -1) == 0);
  CHECK (guestfs_add_drive_opts (g, img, GUESTFS_ADD_DRIVE_OPTS_PROTOCOL, "nbd", -1) == -1);
  CHECK (guestfs_last_errno (g) == ENOTSUP);
  CHECK (guestfs_launch (g) == 0);

  l = guestfs_list_devices (g);
  CHECK (l && l[0] && l[1] && l[2] && !l[3]);
  CHECK (STREQ (l[0], "/dev/sda") && STREQ (l[1], "/dev/sdb") && STREQ (l[2], "/dev/sdc"));
  for (i = 0; l[i]; i++) free (l[i]);
  free (l);
  CHECK (guestfs_blockdev_getsize64 (g, "/dev/sdb") == 0);

  /* GPT on the scratch drive. */
  CHECK (guestfs_part_init (g, "/dev/sda", "gpt") == 0);
  CHECK (guestfs_part_add (g, "/dev/sda", "p", 2048, 4095) == 0);
  CHECK (guestfs_part_add (g, "/dev/sda", "p", 4096, -34) == 0);
  CHECK (guestfs_part_set_name (g, "/dev/sda", 2, "data") == 0);
  s = guestfs_part_get_name (g, "/dev/sda", 2);
  CHECK (s && STREQ (s, "data"));
  free (s);
  s = guestfs_part_get_parttype (g, "/dev/sda");
  CHECK (s && STREQ (s, "gpt"));
  free (s);
  parts = guestfs_part_list (g, "/dev/sda");
  CHECK (parts && parts->len == 2);
  CHECK (parts->val[0].part_num == 1 && parts->val[0].part_start == 2048 * 512);
  CHECK (parts->val[1].part_size == parts->val[1].part_end - parts->val[1].part_start + 1);
  guestfs_free_partition_list (parts);

  /* errno from the daemon. */
  CHECK (guestfs_part_del (g, "/dev/sda", 9) == -1);
  CHECK (guestfs_last_errno (g) == ENOENT);
  CHECK (strncmp (guestfs_last_error (g), "part_del: /dev/sda", 18) == 0);

  /* Buffers, through the read-only drive's overlay. */
  CHECK (guestfs_pwrite_device (g, "/dev/sdc", "a\0b", 3, 100) == 3);
  s = guestfs_pread_device (g, "/dev/sdc", 3, 100, &size);
  CHECK (s && size == 3 && memcmp (s, "a\0b", 3) == 0);
  free (s);

  /* Progress, then cancel from the progress callback. */
  s = guestfs_debug (g, "progress", (char *[]) { "1", NULL });
  CHECK (s && STREQ (s, "ok"));
  free (s);
  CHECK (progress_events > 0 && last_position == last_total);
  cancel_on_progress = 1;
  CHECK (guestfs_debug (g, "progress", (char *[]) { "600", NULL }) == NULL);
  CHECK (guestfs_last_errno (g) == EINTR);
  cancel_on_progress = 0;
  s = guestfs_debug (g, "echo", (char *[]) { "usable", NULL });
  CHECK (s && STREQ (s, "usable"));
  free (s);

  CHECK (guestfs_shutdown (g) == 0);
  guestfs_close (g);
  CHECK (STREQ (events, "launch_done subprocess_quit close "));

  /* The read-only image was not written. */
  {
    char buf[3] = "xxx";
    fd = open (img, O_RDONLY);
    CHECK (fd >= 0 && pread (fd, buf, 3, 100) == 3);
    CHECK (memcmp (buf, "\0\0\0", 3) == 0);
    close (fd);
  }
  unlink (img);
  return 0;
}
