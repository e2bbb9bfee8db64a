# Exit and fork scenarios, each in a child interpreter.
require_relative 'helper'

class TestExit < Minitest::Test
  include GuestfsTestHelper

  def test_exit_without_close_fires_close
    out, = run_ruby_ok(<<~RUBY)
      g = Guestfs::Guestfs.new
      g.set_event_callback(Guestfs::EVENT_CLOSE) { puts "close" }
      puts "end of script"
    RUBY
    assert_equal "end of script\nclose\n", out
  end

  def test_fifty_handles_at_exit
    out, = run_ruby_ok(<<~RUBY)
      $hs = 50.times.map do |i|
        g = Guestfs::Guestfs.new
        g.set_event_callback(Guestfs::EVENT_CLOSE) { puts "close \#{i}" }
        g
      end
    RUBY
    assert_equal 50, out.lines.size
    assert_equal (0...50).map { |i| "close #{i}" }.sort, out.lines.map(&:chomp).sort
  end

  def test_close_on_exit_false
    out, = run_ruby_ok(<<~RUBY)
      $g = Guestfs::Guestfs.new(close_on_exit: false)
      $g.set_event_callback(Guestfs::EVENT_CLOSE) { puts "close" }
      $h = Guestfs::Guestfs.new
      $h.set_event_callback(Guestfs::EVENT_CLOSE) { puts "close h" }
    RUBY
    assert_equal "close h\n", out
  end

  def test_user_at_exit_runs_before_and_can_close
    out, = run_ruby_ok(<<~RUBY)
      g = Guestfs::Guestfs.new
      g.set_event_callback(Guestfs::EVENT_CLOSE) { puts "close" }
      at_exit { puts "user at_exit"; puts g.get_trace; g.close }
    RUBY
    assert_equal "user at_exit\n0\nclose\n", out
  end

  def test_close_inside_close_callback_at_exit
    out, = run_ruby_ok(<<~RUBY)
      $g = Guestfs::Guestfs.new
      $g.set_event_callback(Guestfs::EVENT_CLOSE) { $g.close; puts "closed" }
    RUBY
    assert_equal "closed\n", out
  end

  def test_raising_close_callback_at_exit
    out, err = run_ruby_ok(<<~RUBY)
      $g = Guestfs::Guestfs.new
      $g.set_event_callback(Guestfs::EVENT_CLOSE) { raise "boom" }
      $g.set_event_callback(Guestfs::EVENT_CLOSE) { puts "second" }
    RUBY
    assert_equal "second\n", out
    assert_match(/exception in event callback: .*boom/, err)
  end

  def test_exit_inside_close_callback_at_exit
    out, = run_ruby_ok(<<~RUBY, status: 3)
      $g = Guestfs::Guestfs.new
      $g.set_event_callback(Guestfs::EVENT_CLOSE) { puts "close g"; exit 3 }
      $h = Guestfs::Guestfs.new
      $h.set_event_callback(Guestfs::EVENT_CLOSE) { puts "close h" }
    RUBY
    assert_equal ["close g\n", "close h\n"], out.lines.sort
  end

  def test_call_in_flight_on_another_thread_at_exit
    out, = run_ruby_ok(<<~RUBY)
      g = Guestfs::Guestfs.new
      q = Queue.new
      g.set_event_callback(Guestfs::EVENT_CLOSE) { puts "close" }
      g.set_event_callback(Guestfs::EVENT_ENTER) do |_, _, b,|
        if b == "internal_test_rstring"
          q << 1
          sleep 30
        end
      end
      Thread.new { g.internal_test_rstring("x") }
      q.pop
      puts "exiting"
    RUBY
    assert_equal "exiting\nclose\n", out
  end

  def test_fork_child_close_is_noop
    out, = run_ruby_ok(<<~RUBY)
      g = Guestfs::Guestfs.new
      g.set_event_callback(Guestfs::EVENT_CLOSE) { puts "close in \#{Process.pid == $parent ? 'parent' : 'child'}" }
      $parent = Process.pid
      pid = fork do
        g.close                       # silent no-op for the parent's handle
        puts "child closed"
        begin
          Guestfs::Guestfs.new.close  # new handles in a child are another matter
        rescue Guestfs::Error => e
          puts "child create: \#{e.errno}"
          puts "child create message: \#{e.message}"
        end
      end
      Process.wait(pid)
      puts "child status \#{$?.exitstatus}"
      puts g.internal_test_rstring("parent still works")
      g.close
    RUBY
    lines = out.lines.map(&:chomp)
    assert_equal 'child closed', lines[0]
    assert_includes ['child create: 10', nil], lines.find { |l| l.start_with?('child create') }
    msg = lines.find { |l| l.start_with?('child create message: ') }
    assert_match(/\Achild create message: guestfs_create: the library cannot be used in a child made by fork\(\)/, msg) if msg
    assert_equal ['child status 0', 'parent still works', 'close in parent'], lines.last(3)
    refute_includes lines, 'close in child'
  end

  def test_fork_child_calls_raise_clear_error
    out, = run_ruby_ok(<<~RUBY)
      g = Guestfs::Guestfs.new
      pid = fork do
        begin
          g.get_trace
          puts "no error"
        rescue Guestfs::Error => e
          puts "errno \#{e.errno}"
          puts e.message
        end
        # exit without close: the at-exit close in the child is a no-op
      end
      Process.wait(pid)
      puts "child status \#{$?.exitstatus}"
      puts g.get_trace
    RUBY
    lines = out.lines.map(&:chomp)
    assert_equal "errno #{Errno::ECHILD::Errno}", lines[0]
    assert_match(/parent/, lines[1])
    assert_equal 1, lines[1].scan('set_start_method').size   # the library's message, once
    assert_equal ['child status 0', '0'], lines.last(2)
  end
  # Ctrl-C while the main thread is inside a call (here: in a callback that
  # waits): Interrupt comes out of the call, and the handle stays usable.
  def test_sigint_during_call
    out, = run_ruby_ok(<<~RUBY)
      g = Guestfs::Guestfs.new
      q = Queue.new
      armed = true
      g.set_event_callback(Guestfs::EVENT_ENTER) do |_, _, b,|
        if b == "internal_test_rstring" && armed
          armed = false
          q << 1
          sleep 30
        end
      end
      Thread.new { q.pop; Process.kill(:INT, Process.pid) }
      t0 = Time.now
      begin
        g.internal_test_rstring("x")
        puts "not interrupted"
      rescue Interrupt
        puts "interrupted"
      end
      puts Time.now - t0 < 20
      puts g.internal_test_rstring("usable")
    RUBY
    assert_equal "interrupted\ntrue\nusable\n", out
  end
  # Test frameworks (minitest) run the tests from an at_exit handler that
  # was registered before: handles created there are still closed at exit.
  def test_handle_created_inside_earlier_at_exit
    out, = run_ruby_ok(<<~RUBY)
      at_exit do
        g = Guestfs::Guestfs.new
        g.set_event_callback(Guestfs::EVENT_CLOSE) { puts "close late" }
        puts "created in at_exit"
      end
      h = Guestfs::Guestfs.new
      h.set_event_callback(Guestfs::EVENT_CLOSE) { puts "close early" }
    RUBY
    assert_equal "close early\ncreated in at_exit\nclose late\n", out
  end
end
