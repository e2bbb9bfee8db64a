# Shared helpers of the Ruby tests.
require 'minitest/autorun'
require 'open3'
require 'rbconfig'
require 'tempfile'
require 'guestfs'

module GuestfsTestHelper
  RUBY = RbConfig.ruby

  # Loop counts of the stress tests are multiplied by RBGUESTFS_TEST_SCALE
  # (default 1; the valgrind run uses less).
  def scale(n)
    [(n * Float(ENV.fetch('RBGUESTFS_TEST_SCALE', '1'))).round, 1].max
  end

  # Run Ruby code in a child interpreter (with the same RUBYLIB and
  # LD_LIBRARY_PATH); returns [stdout, stderr, Process::Status]. The child
  # is killed after timeout seconds (a hang is a failure, not a stuck suite).
  def run_ruby(code, env: {}, timeout: 120)
    Open3.popen3(env, RUBY, '-e', "require 'guestfs'\n" + code) do |i, o, e, t|
      i.close
      out = Thread.new { o.read }
      err = Thread.new { e.read }
      unless t.join(timeout)
        Process.kill(:KILL, t.pid)
        flunk "child timed out after #{timeout}s\n--- stdout\n#{out.value}--- stderr\n#{err.value}"
      end
      [out.value, err.value, t.value]
    end
  end

  # Like run_ruby, but fails unless the child exits with status.
  def run_ruby_ok(code, status: 0, **kw)
    out, err, st = run_ruby(code, **kw)
    assert_equal status, st.exitstatus,
                 "child exited #{st.inspect}\n--- stdout\n#{out}--- stderr\n#{err}"
    [out, err]
  end

  # Resident set size of this process, in KiB.
  def rss_kib
    File.read('/proc/self/status')[/^VmRSS:\s+(\d+)/, 1].to_i
  end

  # Number of live Guestfs::Guestfs objects after a full GC.
  def live_handles
    GC.start(full_mark: true, immediate_sweep: true)
    ObjectSpace.each_object(Guestfs::Guestfs).count
  end
end
