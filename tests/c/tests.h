/* tests.h: a few helpers shared by the C tests. Each test is a program
 * that exits 0 when every CHECK held; run-tests.sh runs them all. */
#ifndef GOGUESTFS_TESTS_H
#define GOGUESTFS_TESTS_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "guestfs.h"

/* Fail the test with the condition's text and location. */
#define CHECK(cond) do {                                                \
    if (!(cond)) {                                                      \
      fprintf (stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      exit (EXIT_FAILURE);                                              \
    }                                                                   \
  } while (0)

#define STREQ(a, b) (strcmp ((a), (b)) == 0)

/* Create a handle that ignores the environment and prints no errors. */
static inline guestfs_h *
quiet_handle (void)
{
  guestfs_h *g = guestfs_create_flags (GUESTFS_CREATE_NO_ENVIRONMENT);
  CHECK (g != NULL);
  guestfs_set_error_handler (g, NULL, NULL);
  return g;
}

#endif
