# The daemon from Ruby: the partitioning scenario checked by sfdisk/sgdisk,
# errno from the daemon, progress events during debug("progress") and
# Ctrl-C (SIGINT / Interrupt) cancelling it.
require_relative 'helper'
require 'json'
require 'tmpdir'

# Test-only: first progress event after 50 ms, then every 20 ms.
ENV['GOGUESTFS_TEST_PROGRESS'] = '50,20'

class TestDaemon < Minitest::Test
  def setup
    @dir = Dir.mktmpdir
    @img = File.join(@dir, 'disk.img')
    @g = Guestfs::Guestfs.new
  end

  def teardown
    @g.close
    FileUtils.rm_rf(@dir)
  end

  def check_image(img, gpt, parts)
    out, st = Open3.capture2e('sfdisk', '--verify', img)
    assert st.success?, out
    assert_includes out, 'No errors detected'
    if gpt
      out, st = Open3.capture2e('sgdisk', '-v', img)
      assert st.success?, out
      assert_includes out, 'No problems found'
    end
    js, st = Open3.capture2('sfdisk', '--json', img)
    assert st.success?
    got = JSON.parse(js)['partitiontable']['partitions'].to_h do |q|
      [Integer(q['node'][img.size..]), [q['start'], q['size']]]
    end
    want = parts.to_h { |q| [q['part_num'], [q['part_start'] / 512, q['part_size'] / 512]] }
    assert_equal want, got
  end

  def test_partition_scenario
    events = []
    @g.set_event_callback(Guestfs::EVENT_LAUNCH_DONE | Guestfs::EVENT_SUBPROCESS_QUIT | Guestfs::EVENT_CLOSE) do |ev,|
      events << Guestfs.event_to_string(ev)
    end
    @g.disk_create(@img, 'raw', 64 * 1024 * 1024)
    @g.add_drive_opts(@img, format: 'raw')
    @g.launch
    assert_equal ['/dev/sda'], @g.list_devices
    @g.part_init('/dev/sda', 'msdos')
    @g.part_add('/dev/sda', 'p', 2048, 20_479)
    @g.part_add('/dev/sda', 'e', 20_480, -1)
    @g.part_add('/dev/sda', 'l', 22_528, 40_959)
    @g.part_set_bootable('/dev/sda', 1, true)
    assert_equal 1, @g.part_get_bootable('/dev/sda', 1)
    assert_equal 'msdos', @g.part_get_parttype('/dev/sda')
    assert_equal %w[/dev/sda1 /dev/sda2 /dev/sda5], @g.list_partitions
    parts = @g.part_list('/dev/sda')
    assert_equal [1, 2, 5], parts.map { |q| q['part_num'] }
    @g.shutdown
    check_image(@img, false, parts)
    @g.close
    assert_equal %w[launch_done subprocess_quit close], events
  end

  def test_gpt_scenario
    @g.disk_create(@img, 'raw', 32 * 1024 * 1024)
    @g.add_drive(@img)
    @g.launch
    @g.part_disk('/dev/sda', 'gpt')
    @g.part_set_name('/dev/sda', 1, 'root')
    assert_equal 'root', @g.part_get_name('/dev/sda', 1)
    assert_equal 'gpt', @g.part_get_parttype('/dev/sda')
    parts = @g.part_list('/dev/sda')
    @g.close
    check_image(@img, true, parts)
  end

  def test_add_drive_takes_optargs
    # libguestfs scripts call add_drive with optional arguments.
    File.binwrite(@img, "\0" * (4 * 1024 * 1024))
    @g.add_drive(@img, readonly: true, format: 'raw')
    @g.launch
    @g.pwrite_device('/dev/sda', 'overlay', 0)
    @g.close
    assert_equal "\0" * 7, File.binread(@img, 7)
    g2 = Guestfs::Guestfs.new
    assert_raises(ArgumentError) { g2.add_drive(@img, no_such_option: 1) }
    g2.close
  end

  def test_errno_from_daemon
    @g.add_drive_scratch(8 * 1024 * 1024)
    @g.launch
    @g.part_disk('/dev/sda', 'mbr')
    e = assert_raises(Guestfs::Error) { @g.part_del('/dev/sda', 9) }
    assert_equal Errno::ENOENT::Errno, e.errno
    assert_match(/part_del: \/dev\/sda/, e.message)
    assert_equal 4, @g.pwrite_device('/dev/sda1', "\x00ab\xff".b, 0)
    assert_equal "\x00ab\xff".b, @g.pread_device('/dev/sda1', 4, 0)
  end

  def test_progress_events
    @g.launch
    seen = []
    @g.set_event_callback(Guestfs::EVENT_PROGRESS) { |_, _, _, array| seen << array }
    assert_equal 'ok', @g.debug('progress', ['1'])
    refute_empty seen
    assert_equal seen.last[3], seen.last[2]
    assert(seen.all? { |a| a[2] <= a[3] })
  end

  def test_interrupt_in_progress_callback
    @g.launch
    seen = []
    @g.set_event_callback(Guestfs::EVENT_PROGRESS) do |_, _, _, array|
      seen << array
      raise Interrupt if seen.size == 1
    end
    assert_raises(Interrupt) { @g.debug('progress', ['600']) }
    assert_equal 'still usable', @g.debug('echo', %w[still usable])
  end

  # SIGINT (the terminal's Ctrl-C) while the main thread waits in a daemon
  # call: Interrupt is raised and the handle stays usable. The action is
  # bounded (5 s): a process-directed signal does not always reach the
  # binding's unblocking function (reported to the lead), and then the
  # Interrupt comes when the action ends instead of cancelling it.
  # A real SIGINT (the terminal's Ctrl-C) while the main thread waits
  # inside a long call cancels it. The action would run for 600 s; the
  # watchdog only keeps a broken build from hanging the suite, and the test
  # fails if it had to act.
  def test_sigint_during_progress
    @g.launch
    started = Queue.new
    @g.set_event_callback(Guestfs::EVENT_PROGRESS) { started << true if started.empty? }
    killer = Thread.new do
      started.pop
      Process.kill(:INT, Process.pid)
    end
    watchdog_fired = false
    watchdog = Thread.new do
      sleep 120
      watchdog_fired = true
      @g.user_cancel
    end
    assert_raises(Interrupt) { @g.debug('progress', ['600']) }
    watchdog.kill
    killer.join
    refute watchdog_fired, 'SIGINT did not cancel the call'
    assert_equal [], @g.list_devices
  end

  # How long a test waits for what must happen at all (far above the
  # library's 5 s bound, so a slow machine does not fail it).
  HANG_GUARD = 90

  # Wait until the block is true, at most timeout seconds; returns it.
  def wait_until(timeout)
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + timeout
    until (r = yield)
      return r if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline
      sleep 0.005
    end
    r
  end

  # The pids of this process's guestfsd children.
  def daemons
    Dir.children('/proc').grep(/\A\d+\z/).map(&:to_i).select do |pid|
      stat = File.read("/proc/#{pid}/stat") rescue next
      stat.rpartition(')').last.split[1].to_i == Process.pid &&
        (File.read("/proc/#{pid}/comm").strip rescue '') == 'guestfsd'
    end
  end

  # Stop pid and wait until every thread of it is stopped (kill returns
  # before they all are).
  def sigstop(pid)
    Process.kill(:STOP, pid)
    (HANG_GUARD * 200).times do
      states = Dir.glob("/proc/#{pid}/task/*/stat").map do |f|
        File.read(f).rpartition(')').last.split[0] rescue '?'
      end
      return if !states.empty? && states.all? { |st| %w[T t].include?(st) }
      sleep 0.005
    end
    flunk "pid #{pid} did not stop"
  end

  # close while a call runs on another thread and the daemon has stopped
  # answering (SIGSTOP): close returns at once (the close itself happens
  # when the call returns), the call is cancelled, the library kills the
  # daemon once it stays idle, the call raises (EIO), and then the handle
  # is closed and the daemon gone. The watchdog kills the daemon if the
  # call has not returned after a generous time, so a regression fails
  # instead of hanging the suite.
  def test_close_from_another_thread_stopped_daemon
    before = daemons
    @g.launch
    new = daemons - before
    assert_equal 1, new.size
    pid = new.first
    started = Queue.new
    closed = Queue.new
    @g.set_event_callback(Guestfs::EVENT_PROGRESS) { started << true if started.empty? }
    @g.set_event_callback(Guestfs::EVENT_CLOSE) { closed << true }
    warnings = []
    @g.set_event_callback(Guestfs::EVENT_WARNING) { |_, _, buf,| warnings << buf }
    t = Thread.new do
      @g.debug('progress', ['60'])
    rescue Guestfs::Error => e
      e
    end
    assert wait_until(HANG_GUARD) { !started.empty? }, 'no progress: the call is not in flight'
    sigstop(pid)
    assert_nil @g.close
    assert_raises(ArgumentError) { @g.list_devices }
    unless t.join(HANG_GUARD)
      Process.kill(:KILL, pid)
      t.join
      flunk 'the call in flight did not return: the watchdog killed the daemon'
    end
    err = t.value
    assert_kind_of Guestfs::Error, err
    assert_equal Errno::EIO::Errno, err.errno, err.message
    assert_includes err.message, 'by the library'
    assert wait_until(HANG_GUARD) { !closed.empty? }, 'the handle was closed when the call returned'
    assert_raises(Errno::ESRCH) { Process.kill(0, pid) } # killed and reaped
    assert_equal 1, warnings.size, warnings.inspect
    assert_includes warnings[0], "close: the daemon (guestfsd, pid #{pid})"
  ensure
    begin
      Process.kill(:KILL, pid) if pid && t&.alive?
    rescue Errno::ESRCH
      nil
    end
  end
end
