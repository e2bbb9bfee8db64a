"""Build and install the guestfs package (goguestfs Python binding) with pip.

The C library must be findable with pkg-config (installed, or the build tree
through ./run, which sets PKG_CONFIG_PATH). Offline, from the source tree:

    pip install --no-build-isolation --no-index ./python
"""

import subprocess

from setuptools import Extension, setup


def pkgconfig(*args):
    """Output words of `pkg-config ARGS goguestfs`."""
    try:
        out = subprocess.check_output(["pkg-config"] + list(args) + ["goguestfs"], text=True)
    except (OSError, subprocess.CalledProcessError) as e:
        raise SystemExit("setup.py: pkg-config cannot find goguestfs (%s): install the C "
                         "library (make install) or set PKG_CONFIG_PATH, e.g. run pip "
                         "through ./run in the source tree" % e)
    return out.split()


cflags = pkgconfig("--cflags")
libs = pkgconfig("--libs")

setup(
    name="guestfs",
    version=pkgconfig("--modversion")[0],
    description="Python binding of goguestfs, a disk-image library with the "
                "libguestfs API and no virtual machine",
    license="LGPL-2.1-or-later",
    python_requires=">=3.10",
    packages=["guestfs"],
    package_data={"guestfs": ["__init__.pyi", "py.typed"]},
    ext_modules=[Extension(
        "guestfs.libguestfsmod",
        sources=["src/handle.c", "src/actions.c"],
        depends=["src/guestfs-py.h"],
        include_dirs=["src"] + [f[2:] for f in cflags if f.startswith("-I")],
        library_dirs=[f[2:] for f in libs if f.startswith("-L")],
        libraries=[f[2:] for f in libs if f.startswith("-l")] + ["pthread"],
        extra_compile_args=["-std=gnu11", "-fvisibility=hidden"] +
                           [f for f in cflags if not f.startswith("-I")],
        extra_link_args=[f for f in libs if f.startswith("-Wl,")],
    )],
)
