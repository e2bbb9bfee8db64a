# guestfs.rb: Ruby binding of goguestfs, a disk-image library with the
# libguestfs programming model (no VM needed).
#
#   require 'guestfs'
#   g = Guestfs::Guestfs.new
#   eh = g.set_event_callback(Guestfs::EVENT_CLOSE) { |ev, eh, buf, array| puts 'closed' }
#   g.close
#
# Everything is defined by the C extension _guestfs: Guestfs::Guestfs (one
# method per action), Guestfs::create, Guestfs::event_to_string,
# Guestfs::EVENT_* and Guestfs::Error (with #errno).
require '_guestfs'
