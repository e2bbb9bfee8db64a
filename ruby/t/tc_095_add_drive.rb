# add_drive refuses a file that launch could not open, in add_drive itself,
# as libguestfs does: a missing file raises Guestfs::Error with errno ENOENT
# and the message "FILE: No such file or directory"; a directory EISDIR; a
# file that cannot be read, or written for a read-write drive, EACCES.
require_relative 'helper'
require 'fiddle'
require 'fileutils'
require 'tmpdir'

class TestAddDrive < Minitest::Test
  MISSING = '/nonexistent/dir/disk.img'
  SYS_SETRESUID = 117 # x86_64
  SYS_SETRESGID = 119

  def setup
    @dir = Dir.mktmpdir
    File.chmod(0o755, @dir)
    @g = Guestfs::Guestfs.new
  end

  def teardown
    @g.close
    FileUtils.rm_rf(@dir)
  end

  # Set the effective ids of the calling thread only (raw system calls:
  # Process::Sys.setresuid would change every thread).
  def set_thread_ids(uid, gid)
    syscall = Fiddle::Function.new(Fiddle::Handle::DEFAULT['syscall'],
                                   [Fiddle::TYPE_LONG] * 4, Fiddle::TYPE_LONG)
    calls = [[SYS_SETRESGID, gid], [SYS_SETRESUID, uid]]
    calls.reverse! if uid.zero?
    calls.each { |nr, v| assert_equal 0, syscall.call(nr, -1, v, -1), "setres[ug]id #{v}" }
  end

  # Run the block with this thread's effective ids set to nobody when run as
  # root (the library checks access on the calling thread, and Ruby calls
  # the library on the calling thread), so the permission checks apply.
  def as_nobody
    return yield unless Process.euid.zero?

    set_thread_ids(65_534, 65_534)
    begin
      yield
    ensure
      set_thread_ids(0, 0)
    end
  end

  def assert_refused(action, file, errno, text)
    e = assert_raises(Guestfs::Error) { yield file }
    assert_equal errno, e.errno
    assert e.message.start_with?("#{action}: #{file}: #{text}"), e.message
  end

  def test_missing_file
    assert_refused('add_drive_opts', MISSING, Errno::ENOENT::Errno, 'No such file or directory') { |f| @g.add_drive(f) }
    assert_refused('add_drive_opts', MISSING, Errno::ENOENT::Errno, 'No such file or directory') do |f|
      @g.add_drive_opts(f, readonly: true, format: 'raw')
    end
    assert_refused('add_drive_ro', MISSING, Errno::ENOENT::Errno, 'No such file or directory') { |f| @g.add_drive_ro(f) }
    assert_refused('add_cdrom', MISSING, Errno::ENOENT::Errno, 'No such file or directory') { |f| @g.add_cdrom(f) }
    e = assert_raises(Guestfs::Error) { @g.add_drive(MISSING) }
    assert_equal 'add_drive_opts: /nonexistent/dir/disk.img: No such file or directory', e.message
  end

  def test_directory
    assert_refused('add_drive_ro', @dir, Errno::EISDIR::Errno, 'Is a directory') { |f| @g.add_drive_ro(f) }
  end

  def test_permissions
    skip 'thread-local ids need the x86_64 system call numbers' if Process.euid.zero? && RbConfig::CONFIG['host_cpu'] != 'x86_64'
    ro = File.join(@dir, 'ro.img')
    File.write(ro, "\0" * 4096)
    File.chmod(0o444, ro)
    as_nobody do
      assert_refused('add_drive_opts', ro, Errno::EACCES::Errno, 'Permission denied') { |f| @g.add_drive(f) }
      @g.add_drive_ro(ro)
      @g.add_drive(ro, readonly: true)
    end
    File.chmod(0, ro)
    as_nobody do
      assert_refused('add_drive_ro', ro, Errno::EACCES::Errno, 'Permission denied') { |f| @g.add_drive_ro(f) }
    end
    File.chmod(0o444, ro)
    @g.add_drive('/dev/null')
    @g.launch
    assert_equal ['/dev/sda', '/dev/sdb', '/dev/sdc'], @g.list_devices
    assert_equal 0, @g.blockdev_getsize64('/dev/sdc')
  end
end
