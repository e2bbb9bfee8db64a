# extconf.rb: configure the _guestfs extension (Ruby binding of goguestfs).
#
# Finds the C library with pkg-config (package "goguestfs"); point
# PKG_CONFIG_PATH at build/lib/pkgconfig to build against the build tree.
# Works in the source directory (gem install) and out of tree
# (ruby.mk runs it from $(BUILD)/ruby/ext).
require 'mkmf'

unless pkg_config('goguestfs')
  abort "goguestfs: pkg-config cannot find goguestfs.pc " \
        "(set PKG_CONFIG_PATH, e.g. to <build>/lib/pkgconfig)"
end
abort 'goguestfs: guestfs.h not found' unless have_header('guestfs.h')
abort 'goguestfs: guestfs_create_flags not found in the C library' \
  unless have_func('guestfs_create_flags', 'guestfs.h')
# The SIGINT handler cancels the calls in the library's in-flight table.
abort 'goguestfs: guestfs_binding_cancel_inflight not found: the installed ' \
      'C library is older than this binding' \
  unless have_func('guestfs_binding_cancel_inflight', 'guestfs.h')

$CFLAGS << ' -std=gnu11 -Wall -Wno-unused-parameter'
$CFLAGS << ' ' << ENV['RBGUESTFS_CFLAGS'] if ENV['RBGUESTFS_CFLAGS']
$LDFLAGS << ' ' << ENV['RBGUESTFS_LDFLAGS'] if ENV['RBGUESTFS_LDFLAGS']

# The link flags (including the rpath) are goguestfs.pc's.
create_makefile('_guestfs')
