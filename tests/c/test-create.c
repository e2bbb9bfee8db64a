/* Handle creation, flags, the environment, properties and state. */
#include <unistd.h>
#include "tests.h"

static void
check_bool_property (guestfs_h *g, int (*set) (guestfs_h *, int), int (*get) (guestfs_h *))
{
  CHECK (set (g, 1) == 0);
  CHECK (get (g) == 1);
  CHECK (set (g, 0) == 0);
  CHECK (get (g) == 0);
}

int
main (void)
{
  guestfs_h *g;
  char *s;
  struct guestfs_version *v;

  /* Unknown create flags are refused. */
  errno = 0;
  CHECK (guestfs_create_flags (1 << 5) == NULL);
  CHECK (errno == EINVAL);

  /* The environment is read at create time unless NO_ENVIRONMENT. */
  setenv ("LIBGUESTFS_TRACE", "0", 1);
  setenv ("LIBGUESTFS_DEBUG", "yes", 1);
  setenv ("LIBGUESTFS_MEMSIZE", "512", 1);
  setenv ("LIBGUESTFS_HV", "/opt/guestfsd", 1);
  setenv ("LIBGUESTFS_BACKEND", "direct", 1);
  setenv ("LIBGUESTFS_APPEND", "x=1", 1);
  g = guestfs_create ();
  CHECK (g != NULL);
  CHECK (guestfs_get_verbose (g) == 1);
  CHECK (guestfs_get_memsize (g) == 512);
  s = guestfs_get_hv (g);
  CHECK (s && STREQ (s, "/opt/guestfsd"));
  free (s);
  CHECK (STREQ (guestfs_get_append (g), "x=1"));
  guestfs_close (g);

  g = guestfs_create_flags (GUESTFS_CREATE_NO_ENVIRONMENT | GUESTFS_CREATE_NO_CLOSE_ON_EXIT);
  CHECK (g != NULL);
  CHECK (guestfs_get_verbose (g) == 0);
  CHECK (guestfs_get_memsize (g) == 1280);
  CHECK (guestfs_get_append (g) == NULL);
  guestfs_close (g);

  /* A bad value makes create fail with EINVAL (the default handler
   * prints the message naming the variable). */
  setenv ("LIBGUESTFS_MEMSIZE", "lots", 1);
  errno = 0;
  CHECK (guestfs_create () == NULL);
  CHECK (errno == EINVAL);
  unsetenv ("LIBGUESTFS_MEMSIZE");
  unsetenv ("LIBGUESTFS_DEBUG");

  /* parse_environment_list reports the variable and value. */
  g = quiet_handle ();
  {
    const char *env[] = { "LIBGUESTFS_TRACE=maybe", NULL };
    CHECK (guestfs_parse_environment_list (g, (char **) env) == -1);
    CHECK (STREQ (guestfs_last_error (g), "parse_environment_list: LIBGUESTFS_TRACE=maybe: not a boolean"));
    CHECK (guestfs_last_errno (g) == EINVAL);
  }
  {
    const char *env[] = { "LIBGUESTFS_BACKEND=libvirt", NULL };
    CHECK (guestfs_parse_environment_list (g, (char **) env) == -1);
    CHECK (strstr (guestfs_last_error (g), "LIBGUESTFS_BACKEND=libvirt") != NULL);
  }
  {
    const char *env[] = { "TMPDIR=/var/tmp", "LIBGUESTFS_TRACE=on", "NOEQUALS", NULL };
    CHECK (guestfs_parse_environment_list (g, (char **) env) == 0);
    CHECK (guestfs_get_trace (g) == 1);
    s = guestfs_get_tmpdir (g);
    CHECK (STREQ (s, "/var/tmp"));
    free (s);
    s = guestfs_get_cachedir (g);
    CHECK (STREQ (s, "/var/tmp"));
    free (s);
    CHECK (guestfs_set_trace (g, 0) == 0);
  }

  /* Boolean properties. */
  check_bool_property (g, guestfs_set_verbose, guestfs_get_verbose);
  check_bool_property (g, guestfs_set_trace, guestfs_get_trace);
  check_bool_property (g, guestfs_set_autosync, guestfs_get_autosync);
  check_bool_property (g, guestfs_set_network, guestfs_get_network);
  check_bool_property (g, guestfs_set_recovery_proc, guestfs_get_recovery_proc);
  check_bool_property (g, guestfs_set_pgroup, guestfs_get_pgroup);

  /* Integer properties and their limits. */
  CHECK (guestfs_set_memsize (g, 2048) == 0);
  CHECK (guestfs_get_memsize (g) == 2048);
  CHECK (guestfs_set_memsize (g, 1) == -1);
  CHECK (guestfs_last_errno (g) == EINVAL);
  CHECK (strstr (guestfs_last_error (g), "set_memsize: memsize: 1") == guestfs_last_error (g));
  CHECK (guestfs_get_memsize (g) == 2048);
  CHECK (guestfs_set_smp (g, 4) == 0);
  CHECK (guestfs_get_smp (g) == 4);
  CHECK (guestfs_set_smp (g, 0) == -1);
  CHECK (guestfs_set_smp (g, 256) == -1);

  /* String properties. */
  CHECK (guestfs_set_path (g, "/a:/b") == 0);
  CHECK (STREQ (guestfs_get_path (g), "/a:/b"));
  CHECK (guestfs_set_path (g, NULL) == 0);
  CHECK (strlen (guestfs_get_path (g)) > 0);
  CHECK (guestfs_set_hv (g, "/bin/false") == 0);
  s = guestfs_get_hv (g);
  CHECK (STREQ (s, "/bin/false"));
  free (s);
  CHECK (guestfs_set_identifier (g, "disk-01_a") == 0);
  CHECK (STREQ (guestfs_get_identifier (g), "disk-01_a"));
  CHECK (guestfs_set_identifier (g, "no spaces") == -1);
  CHECK (guestfs_last_errno (g) == EINVAL);
  CHECK (STREQ (guestfs_get_identifier (g), "disk-01_a"));
  CHECK (STREQ (guestfs_get_program (g), "test-create"));
  CHECK (guestfs_set_program (g, "prog") == 0);
  CHECK (STREQ (guestfs_get_program (g), "prog"));
  CHECK (guestfs_set_program (g, NULL) == -1);
  CHECK (STREQ (guestfs_last_error (g), "set_program: program: parameter cannot be NULL"));
  CHECK (guestfs_set_append (g, "a b") == 0);
  CHECK (STREQ (guestfs_get_append (g), "a b"));
  CHECK (guestfs_set_append (g, NULL) == 0);
  CHECK (guestfs_get_append (g) == NULL);

  CHECK (guestfs_set_tmpdir (g, "/") == 0);
  s = guestfs_get_tmpdir (g);
  CHECK (STREQ (s, "/"));
  free (s);
  CHECK (guestfs_set_tmpdir (g, "/nonexistent/dir") == -1);
  CHECK (guestfs_last_errno (g) == ENOENT);
  CHECK (guestfs_set_tmpdir (g, "/etc/passwd") == -1);
  CHECK (guestfs_last_errno (g) == ENOTDIR);
  CHECK (guestfs_set_cachedir (g, "/") == 0);
  CHECK (guestfs_set_cachedir (g, NULL) == 0);

  CHECK (guestfs_set_backend (g, "libvirt") == -1);
  CHECK (guestfs_last_errno (g) == EINVAL);
  CHECK (guestfs_set_backend (g, "default") == 0);
  s = guestfs_get_backend (g);
  CHECK (STREQ (s, "direct"));
  free (s);

  /* State. */
  CHECK (guestfs_get_state (g) == 0);
  CHECK (guestfs_is_config (g) == 1);
  CHECK (guestfs_is_launching (g) == 0);
  CHECK (guestfs_is_ready (g) == 0);
  CHECK (guestfs_is_busy (g) == 0);

  /* Version: major 1, as libguestfs scripts check. */
  v = guestfs_version (g);
  CHECK (v != NULL);
  CHECK (v->major == 1);
  CHECK (v->minor >= 0 && v->release >= 0);
  CHECK (v->extra != NULL);
  guestfs_free_version (v);

  guestfs_close (g);
  return 0;
}
