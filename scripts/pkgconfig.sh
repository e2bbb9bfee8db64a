#!/bin/sh
# Print goguestfs.pc: pkgconfig.sh PREFIX LIBDIR INCLUDEDIR VERSION
cat <<PC
prefix=$1
libdir=$2
includedir=$3

Name: goguestfs
Description: Disk-image library with the libguestfs API and no virtual machine
Version: $4
Libs: -L\${libdir} -Wl,-rpath,\${libdir} -lgoguestfs
Cflags: -I\${includedir}
PC
