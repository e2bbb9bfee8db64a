/* Every return type: values, ownership (freed here; valgrind checks),
 * and the ...err twins. */
#include <stdint.h>
#include "tests.h"

int
main (void)
{
  guestfs_h *g = quiet_handle ();
  char *s, **l;
  size_t size, i;
  struct guestfs_lvm_pv *pv;
  struct guestfs_lvm_pv_list *pvs;
  const char *cs;

  CHECK (guestfs_internal_test_rint (g, "-42") == -42);
  CHECK (guestfs_internal_test_rint (g, "2147483647") == 2147483647);
  CHECK (guestfs_internal_test_rint (g, "2147483648") == -1);    /* out of range */
  CHECK (guestfs_last_errno (g) == EINVAL);
  CHECK (guestfs_internal_test_rinterr (g) == -1);
  CHECK (guestfs_internal_test_rint64 (g, "-9223372036854775808") == INT64_MIN);
  CHECK (guestfs_internal_test_rint64err (g) == -1);
  CHECK (guestfs_internal_test_rbool (g, "true") == 1);
  CHECK (guestfs_internal_test_rbool (g, "false") == 0);
  CHECK (guestfs_internal_test_rboolerr (g) == -1);

  cs = guestfs_internal_test_rconststring (g, "x");
  CHECK (cs && STREQ (cs, "static string"));
  CHECK (guestfs_internal_test_rconststringerr (g) == NULL);
  CHECK (STREQ (guestfs_last_error (g), "internal_test_rconststringerr: error"));
  cs = guestfs_internal_test_rconstoptstring (g, "x");
  CHECK (cs && STREQ (cs, "static string"));
  /* NULL without an error: the last error is unchanged. */
  CHECK (guestfs_internal_test_rint (g, "nan") == -1);
  CHECK (guestfs_internal_test_rconstoptstringerr (g) == NULL);
  CHECK (strstr (guestfs_last_error (g), "internal_test_rint:") != NULL);

  s = guestfs_internal_test_rstring (g, "hello");
  CHECK (s && STREQ (s, "hello"));
  free (s);
  s = guestfs_internal_test_rstring (g, "");
  CHECK (s && STREQ (s, ""));
  free (s);
  CHECK (guestfs_internal_test_rstringerr (g) == NULL);

  l = guestfs_internal_test_rstringlist (g, "3");
  CHECK (l && STREQ (l[0], "0") && STREQ (l[1], "1") && STREQ (l[2], "2") && l[3] == NULL);
  for (i = 0; l[i]; ++i) free (l[i]);
  free (l);
  l = guestfs_internal_test_rstringlist (g, "0");
  CHECK (l && l[0] == NULL);
  free (l);
  CHECK (guestfs_internal_test_rstringlist (g, "-1") == NULL);
  CHECK (guestfs_internal_test_rstringlisterr (g) == NULL);

  l = guestfs_internal_test_rhashtable (g, "2");
  CHECK (l && STREQ (l[0], "0") && STREQ (l[1], "0") && STREQ (l[2], "1") && STREQ (l[3], "1") && l[4] == NULL);
  for (i = 0; l[i]; ++i) free (l[i]);
  free (l);
  CHECK (guestfs_internal_test_rhashtableerr (g) == NULL);

  pv = guestfs_internal_test_rstruct (g, "x");
  CHECK (pv && STREQ (pv->pv_name, "pv0") && memcmp (pv->pv_uuid, "12345678901234567890123456789012", 32) == 0);
  CHECK (STREQ (pv->pv_fmt, "unknown") && pv->pv_size == 0 && STREQ (pv->pv_tags, "tag0"));
  guestfs_free_lvm_pv (pv);
  CHECK (guestfs_internal_test_rstructerr (g) == NULL);

  pvs = guestfs_internal_test_rstructlist (g, "3");
  CHECK (pvs && pvs->len == 3);
  CHECK (STREQ (pvs->val[2].pv_name, "pv2") && pvs->val[2].pv_size == 2 && pvs->val[2].pv_pe_count == 2);
  guestfs_free_lvm_pv_list (pvs);
  pvs = guestfs_internal_test_rstructlist (g, "0");
  CHECK (pvs && pvs->len == 0);
  guestfs_free_lvm_pv_list (pvs);
  CHECK (guestfs_internal_test_rstructlisterr (g) == NULL);
  guestfs_free_lvm_pv_list (NULL);
  guestfs_free_lvm_pv (NULL);

  s = guestfs_internal_test_rbufferout (g, "abc", &size);
  CHECK (s && size == 3 && memcmp (s, "abc", 3) == 0);
  free (s);
  s = guestfs_internal_test_rbufferout (g, "", &size);
  CHECK (s != NULL && size == 0);
  free (s);
  CHECK (guestfs_internal_test_rbufferouterr (g, &size) == NULL);

  /* Optional arguments through varargs: unknown and repeated ones fail. */
  CHECK (guestfs_internal_test_only_optargs (g, GUESTFS_INTERNAL_TEST_ONLY_OPTARGS_TEST, 3, -1) == 0);
  CHECK (guestfs_internal_test_only_optargs (g, 7, 3, -1) == -1);
  CHECK (strstr (guestfs_last_error (g), "internal_test_only_optargs: unknown option 7") != NULL);
  CHECK (guestfs_internal_test_only_optargs (g, 0, 1, 0, 2, -1) == -1);
  CHECK (guestfs_last_errno (g) == EINVAL);
  {
    struct guestfs_internal_test_only_optargs_argv o = { .bitmask = 1 << 3 };
    CHECK (guestfs_internal_test_only_optargs_argv (g, &o) == -1);
    CHECK (strstr (guestfs_last_error (g), "unknown optional argument") != NULL);
  }

  guestfs_close (g);
  return 0;
}
