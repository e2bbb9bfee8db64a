"""Shared helpers of the Python binding tests."""

import os
import subprocess
import sys
import textwrap

#: Under valgrind (make test-python-valgrind) loops are shortened.
UNDER_VALGRIND = os.environ.get("GUESTFS_TEST_VALGRIND") == "1"

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_script(code, timeout=120, env=None, args=()):
    """Run code in a fresh interpreter (same PYTHONPATH/LD_LIBRARY_PATH);
    return the CompletedProcess with text stdout and stderr."""
    e = dict(os.environ)
    e.pop("GUESTFS_TEST_VALGRIND", None)
    e.pop("PYTHONMALLOC", None)
    if env:
        e.update(env)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)] + list(args),
                          capture_output=True, text=True, timeout=timeout, env=e)
