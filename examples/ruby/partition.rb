#!/usr/bin/env ruby
# Partition a real disk image from Ruby: an MBR with a primary, an extended
# and two logical partitions, with events. Run from the source tree:
#   ./run ruby examples/ruby/partition.rb disk.img
# then check it with `sfdisk --verify disk.img`.
require 'guestfs'
$stdout.sync = true

image = ARGV[0] || 'disk.img'
g = Guestfs::Guestfs.new(ruby_bool: true)
g.set_event_callback(Guestfs::EVENT_LAUNCH_DONE | Guestfs::EVENT_SUBPROCESS_QUIT | Guestfs::EVENT_CLOSE) do |ev,|
  puts "  event: #{Guestfs.event_to_string(ev)}"
end
g.set_event_callback(Guestfs::EVENT_PROGRESS) do |_, _, _, array|
  puts format('  progress %3.0f%%', 100.0 * array[2] / [array[3], 1].max)
end

g.disk_create(image, 'raw', 64 * 1024 * 1024)
g.add_drive_opts(image, format: 'raw')
g.launch
g.part_init('/dev/sda', 'mbr')
g.part_add('/dev/sda', 'p', 2048, 40_959)
g.part_add('/dev/sda', 'e', 40_960, -1)
g.part_add('/dev/sda', 'l', 43_008, 83_967)
g.part_add('/dev/sda', 'l', 86_016, -1)
g.part_set_bootable('/dev/sda', 1, true)
g.part_set_mbr_id('/dev/sda', 5, 0x82)
puts "table: #{g.part_get_parttype('/dev/sda')}, bootable /dev/sda1: #{g.part_get_bootable('/dev/sda', 1)}"
g.part_list('/dev/sda').each do |p|
  puts format('  /dev/sda%-2d start %9d  size %9d  id 0x%02x', p['part_num'], p['part_start'], p['part_size'],
              g.part_get_mbr_id('/dev/sda', p['part_num']))
end
begin
  g.part_del('/dev/sda', 9)
rescue Guestfs::Error => e
  puts "error as expected: #{e.message} (errno #{e.errno})"
end
puts 'a long action with progress (Ctrl-C cancels it):'
g.debug('progress', ['3'])
g.shutdown
g.close
