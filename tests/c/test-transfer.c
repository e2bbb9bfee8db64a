/* Transfers from C: upload and download round trip (by name and through
 * /dev/fd/N), progress through the legacy guestfs_set_progress_callback
 * during a download into a slowly read pipe, and guestfs_user_cancel from
 * a second thread and from a signal handler, each followed by a working
 * call and a clean e2fsck. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/time.h>
#include <unistd.h>
#include "tests.h"

#define SIZE (16 << 20)

static int legacy_calls;
static uint64_t legacy_last, legacy_total;

static void
on_progress (guestfs_h *g, void *opaque, int proc_nr, int serial,
             uint64_t position, uint64_t total)
{
  CHECK (position <= total);
  CHECK (position >= legacy_last);
  legacy_calls++;
  legacy_last = position;
  legacy_total = total;
}

/* Reads a pipe slowly (1 MiB every 20 ms) to its end. */
static void *
slow_reader (void *arg)
{
  int fd = *(int *) arg;
  static char buf[1 << 20];
  ssize_t r;
  size_t total = 0;

  while ((r = read (fd, buf, sizeof buf)) > 0) {
    total += r;
    usleep (20000);
  }
  return (void *) total;
}

static void *
cancel_later (void *arg)
{
  usleep (200000);
  guestfs_user_cancel (arg);
  return NULL;
}

static guestfs_h *signal_g;

static void
on_alarm (int sig)
{
  guestfs_user_cancel (signal_g);   /* async-signal-safe */
}

static char *
fd_name (int fd)
{
  static char name[32];
  snprintf (name, sizeof name, "/dev/fd/%d", fd);
  return name;
}

static void
check_fs (guestfs_h *g, const char *img)
{
  char cmd[256];
  CHECK (guestfs_umount_all (g) == 0);
  snprintf (cmd, sizeof cmd, "e2fsck -fn %s >/dev/null 2>&1", img);
  CHECK (system (cmd) == 0);
  CHECK (guestfs_mount (g, "/dev/sda", "/") == 0);
}

int
main (void)
{
  guestfs_h *g = quiet_handle ();
  const char *path = getenv ("LIBGUESTFS_PATH");
  char img[] = "/tmp/goguestfs-test-transfer-XXXXXX";
  char src[] = "/tmp/goguestfs-test-transfer-src-XXXXXX";
  char dst[] = "/tmp/goguestfs-test-transfer-dst-XXXXXX";
  char *data, *back, *sum1, *sum2;
  int fd, p[2];
  size_t i;
  pthread_t th;
  void *got;
  struct itimerval it = { { 0, 0 }, { 0, 200000 } };

  setenv ("GOGUESTFS_TEST_PROGRESS", "50,20", 1);
  CHECK (path != NULL);
  CHECK (guestfs_set_path (g, path) == 0);
  fd = mkstemp (img);
  CHECK (fd >= 0 && ftruncate (fd, 64 << 20) == 0);
  close (fd);
  CHECK (guestfs_add_drive (g, img) == 0);
  CHECK (guestfs_launch (g) == 0);
  CHECK (guestfs_mkfs (g, "ext4", "/dev/sda") == 0);
  CHECK (guestfs_mount (g, "/dev/sda", "/") == 0);

  /* Round trip by name. */
  data = malloc (SIZE);
  back = malloc (SIZE);
  CHECK (data && back);
  for (i = 0; i < SIZE; i++)
    data[i] = (char) (i * 2654435761u >> 13);
  fd = mkstemp (src);
  CHECK (fd >= 0 && write (fd, data, SIZE) == SIZE);
  close (fd);
  CHECK (guestfs_upload (g, src, "/f") == 0);
  close (mkstemp (dst));
  CHECK (guestfs_download (g, "/f", dst) == 0);
  fd = open (dst, O_RDONLY);
  CHECK (fd >= 0 && read (fd, back, SIZE) == SIZE && read (fd, back, 1) == 0);
  close (fd);
  CHECK (memcmp (data, back, SIZE) == 0);
  sum1 = guestfs_checksum (g, "sha256", "/f");
  CHECK (sum1 != NULL);

  /* A missing host file: the library's error, ENOENT. */
  CHECK (guestfs_upload (g, "/nonexistent/file", "/g") == -1);
  CHECK (guestfs_last_errno (g) == ENOENT);
  CHECK (strstr (guestfs_last_error (g), "/nonexistent/file") != NULL);

  /* Legacy progress callback, during a download into a slow pipe. */
  guestfs_set_progress_callback (g, on_progress, NULL);
  CHECK (pipe (p) == 0);
  CHECK (pthread_create (&th, NULL, slow_reader, &p[0]) == 0);
  CHECK (guestfs_download (g, "/f", fd_name (p[1])) == 0);
  close (p[1]);
  CHECK (pthread_join (th, &got) == 0);
  close (p[0]);
  CHECK ((size_t) got == SIZE);
  CHECK (legacy_calls > 0);
  CHECK (legacy_total == SIZE && legacy_last == SIZE);
  guestfs_set_progress_callback (g, NULL, NULL);

  /* Cancel from a second thread: a download into a pipe nobody reads. */
  CHECK (pipe (p) == 0);
  CHECK (pthread_create (&th, NULL, cancel_later, g) == 0);
  CHECK (guestfs_download (g, "/f", fd_name (p[1])) == -1);
  CHECK (guestfs_last_errno (g) == EINTR);
  CHECK (pthread_join (th, NULL) == 0);
  close (p[0]);
  close (p[1]);
  sum2 = guestfs_checksum (g, "sha256", "/f");
  CHECK (sum2 != NULL && STREQ (sum1, sum2));
  free (sum2);
  check_fs (g, img);

  /* Cancel from a signal handler: an upload from a pipe that stays empty. */
  signal_g = g;
  CHECK (signal (SIGALRM, on_alarm) != SIG_ERR);
  CHECK (pipe (p) == 0);
  CHECK (write (p[1], data, 4096) == 4096);
  CHECK (setitimer (ITIMER_REAL, &it, NULL) == 0);
  CHECK (guestfs_upload (g, fd_name (p[0]), "/g") == -1);
  CHECK (guestfs_last_errno (g) == EINTR);
  close (p[0]);
  close (p[1]);
  sum2 = guestfs_checksum (g, "sha256", "/f");
  CHECK (sum2 != NULL && STREQ (sum1, sum2));
  free (sum2);
  check_fs (g, img);

  free (sum1);
  free (data);
  free (back);
  guestfs_close (g);
  unlink (img);
  unlink (src);
  unlink (dst);
  return 0;
}
