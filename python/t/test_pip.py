"""The documented offline pip install works: into a fresh venv, from a copy
of the source tree, with no index and no build isolation."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from helpers import TOP, UNDER_VALGRIND


def _interpreter_with_wheel():
    """An interpreter whose site packages have setuptools and wheel: this
    one, or Debian's /usr/bin/python3 (python3-setuptools, python3-wheel)."""
    for exe in (sys.executable, "/usr/bin/python3"):
        if not os.path.exists(exe):
            continue
        r = subprocess.run([exe, "-c", "import setuptools, wheel, venv, ensurepip"],
                           capture_output=True)
        if r.returncode == 0:
            return exe
    return None


@unittest.skipIf(UNDER_VALGRIND, "builds a wheel; not useful under valgrind")
class TestPipInstall(unittest.TestCase):
    def test_offline_venv_install(self):
        exe = _interpreter_with_wheel()
        if exe is None:
            self.skipTest("no interpreter with setuptools and wheel "
                          "(Debian: python3-setuptools python3-wheel python3-venv)")
        tmp = tempfile.mkdtemp(prefix="pytest-pip-")
        try:
            src = os.path.join(tmp, "src")
            shutil.copytree(os.path.join(TOP, "python"), src,
                            ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", "t"))
            venv = os.path.join(tmp, "venv")
            subprocess.run([exe, "-m", "venv", "--system-site-packages", venv], check=True)
            env = dict(os.environ)
            env.pop("PYTHONPATH", None)  # the build tree must not be what gets imported
            env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
            p = subprocess.run([os.path.join(venv, "bin", "pip"), "install",
                                "--no-build-isolation", "--no-index", src],
                               capture_output=True, text=True, env=env)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            env.pop("LD_LIBRARY_PATH", None)  # the rpath from pkg-config finds the library
            p = subprocess.run([os.path.join(venv, "bin", "python"), "-c",
                                "import guestfs, os; "
                                "print(os.path.dirname(guestfs.__file__).startswith(%r)); "
                                "print(sorted(os.listdir(os.path.dirname(guestfs.__file__)))[:2]); "
                                "print(guestfs.GuestFS().internal_test_rstringlist('2'))" % venv],
                               capture_output=True, text=True, env=env, cwd=tmp)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(p.stdout, "True\n['__init__.py', '__init__.pyi']\n['0', '1']\n")
        finally:
            shutil.rmtree(tmp)


if __name__ == "__main__":
    unittest.main()
