# guestfs.gemspec: the Ruby binding of goguestfs as a gem.
#
# Offline, from the source tree (the C library must be installed, or
# PKG_CONFIG_PATH must point at build/lib/pkgconfig):
#   cd ruby && gem build guestfs.gemspec
#   gem install --local ./goguestfs-<version>.gem
# The gem's extension is compiled by ext/guestfs/extconf.rb at install.
Gem::Specification.new do |s|
  s.name        = 'goguestfs'
  s.version     = ENV.fetch('GOGUESTFS_VERSION', '1.0.0')
  s.summary     = 'Ruby binding of goguestfs (libguestfs programming model, no VM)'
  s.description = 'require "guestfs": Guestfs::Guestfs handles with one method per ' \
                  'action, event callbacks and Guestfs::Error, source-compatible ' \
                  "with libguestfs's Ruby binding, over the goguestfs C library."
  s.authors     = ['goguestfs developers']
  s.license     = 'LGPL-2.1-or-later'
  s.required_ruby_version = '>= 2.7'
  s.files       = Dir['lib/**/*.rb', 'ext/guestfs/*.{c,h,rb}', 'README.md']
  s.extensions  = ['ext/guestfs/extconf.rb']
  s.require_paths = ['lib']
end
