# Transfers from Ruby: upload and download round trips (by name and by
# /dev/fd/N), progress events during a long download, and cancellation by
# user_cancel from another thread and by SIGINT (Ctrl-C), each followed by
# a working call and a clean e2fsck.
require_relative 'helper'
require 'digest'
require 'securerandom'
require 'tmpdir'

# The test-only fast progress rule, for every handle of the suite (as
# tc_090_daemon.rb sets it).
ENV['GOGUESTFS_TEST_PROGRESS'] = '50,20'

class TestTransfer < Minitest::Test
  SIZE = 8 << 20

  def setup
    @dir = Dir.mktmpdir
    @img = File.join(@dir, 'disk.img')
    @g = Guestfs::Guestfs.new
    @g.disk_create(@img, 'raw', 64 << 20)
    @g.add_drive(@img)
    @g.launch
    @g.mkfs('ext4', '/dev/sda')
    @g.mount('/dev/sda', '/')
    @data = SecureRandom.random_bytes(SIZE)
    @src = File.join(@dir, 'src')
    File.binwrite(@src, @data)
    @g.upload(@src, '/f')
  end

  def teardown
    @g.close
    FileUtils.rm_rf(@dir)
  end

  # The handle works, the file is intact and e2fsck is clean.
  def assert_consistent
    assert_equal Digest::SHA256.hexdigest(@data), @g.checksum('sha256', '/f')
    @g.umount_all
    out, st = Open3.capture2e('e2fsck', '-fn', @img)
    assert st.success?, out
    @g.mount('/dev/sda', '/')
  end

  def test_round_trip
    out = File.join(@dir, 'out')
    @g.download('/f', out)
    assert_equal @data, File.binread(out)
    File.open(out, 'wb') do |f|
      f.write('head')
      f.flush
      @g.download_offset('/f', "/dev/fd/#{f.fileno}", 10, 5)
    end
    assert_equal 'head'.b + @data[10, 5], File.binread(out)
    e = assert_raises(Guestfs::Error) { @g.upload(File.join(@dir, 'missing'), '/g') }
    assert_equal Errno::ENOENT::Errno, e.errno
    assert_includes e.message, 'missing'
    assert_consistent
  end

  def test_progress_events
    seen = []
    @g.set_event_callback(Guestfs::EVENT_PROGRESS) { |_ev, _eh, _buf, array| seen << array }
    r, w = IO.pipe
    drain = Thread.new do
      loop do
        r.readpartial(1 << 20)
        sleep 0.02
      end
    rescue EOFError
      nil
    end
    @g.download('/f', "/dev/fd/#{w.fileno}")
    w.close
    drain.join
    r.close
    refute_empty seen
    positions = seen.map { |a| a[2] }
    assert_equal positions.sort, positions
    assert(seen.all? { |a| a[3] == SIZE })
    assert_equal SIZE, seen.last[2]
  end

  # A download into a pipe nobody reads: it runs until cancelled.
  def stuck_download
    r, w = IO.pipe
    @g.download('/f', "/dev/fd/#{w.fileno}")
  ensure
    r.close
    w.close
  end

  def test_user_cancel_from_thread
    canceller = Thread.new do
      sleep 0.3
      @g.user_cancel
    end
    e = assert_raises(Guestfs::Error) { stuck_download }
    canceller.join
    assert_equal Errno::EINTR::Errno, e.errno
    assert_consistent
  end

  # A real SIGINT while the call waits on the stuck pipe cancels it:
  # Interrupt is raised. The watchdog keeps a broken build from hanging
  # the suite; the test fails if it had to act.
  def test_sigint
    killer = Thread.new do
      sleep 0.3
      Process.kill(:INT, Process.pid)
    end
    watchdog_fired = false
    watchdog = Thread.new do
      sleep 120
      watchdog_fired = true
      @g.user_cancel
    end
    assert_raises(Interrupt) { stuck_download }
    watchdog.kill
    killer.join
    refute watchdog_fired, 'SIGINT did not cancel the call'
    assert_consistent
  end
end
