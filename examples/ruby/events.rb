#!/usr/bin/env ruby
# Events and the internal test actions: run with
#   ./run ruby examples/ruby/events.rb
require 'guestfs'
$stdout.sync = true

g = Guestfs::Guestfs.new(ruby_bool: true)

# Every action that starts, and the trace of each call and result.
g.set_event_callback(Guestfs::EVENT_ENTER | Guestfs::EVENT_TRACE) do |ev, eh, buf, _array|
  puts "#{Guestfs.event_to_string(ev)} (handle #{eh}): #{buf}"
end
g.set_event_callback(Guestfs::EVENT_CLOSE) { puts 'handle closed' }

g.set_trace(true)
puts "rint:       #{g.internal_test_rint('42')}"
puts "rbool:      #{g.internal_test_rbool('true')}"
puts "rstringlist #{g.internal_test_rstringlist('3').inspect}"
puts "rhashtable  #{g.internal_test_rhashtable('2').inspect}"
puts "rstruct     #{g.internal_test_rstruct('x')['pv_name']}"
g.internal_test_only_optargs(test: 7)

begin
  g.internal_test_rstringerr
rescue Guestfs::Error => e
  puts "error: #{e.message} (errno #{e.errno})"
end

v = g.version
puts "library version #{v['major']}.#{v['minor']}.#{v['release']}#{v['extra']}"
g.close
