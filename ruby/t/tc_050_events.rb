# Event callbacks: Proc and block forms, order, deletion (also from inside
# the callback), close from callbacks, exceptions and throw in callbacks.
require_relative 'helper'

class TestEvents < Minitest::Test
  include GuestfsTestHelper

  def setup
    @g = Guestfs::Guestfs.new(environment: false)
  end

  def teardown
    @g.close
  end

  def test_close_event_proc_form
    seen = []
    eh = @g.set_event_callback(proc { |ev, h, buf, arr| seen << [ev, h, buf, arr] },
                               Guestfs::EVENT_CLOSE)
    assert_kind_of Integer, eh
    @g.close
    assert_equal [[Guestfs::EVENT_CLOSE, eh, '', []]], seen
  end

  def test_trace_and_enter_block_form
    seen = []
    @g.set_event_callback(Guestfs::EVENT_TRACE | Guestfs::EVENT_ENTER) do |ev, _eh, buf, arr|
      seen << [ev, buf, arr]
    end
    @g.set_trace(1)
    seen.clear
    @g.internal_test_rint('7')
    assert_includes seen, [Guestfs::EVENT_ENTER, 'internal_test_rint', []]
    traces = seen.select { |ev,| ev == Guestfs::EVENT_TRACE }.map { |_, buf,| buf }
    assert_equal 2, traces.size, traces.inspect
    assert_match(/\Ainternal_test_rint/, traces[0])
    assert_match(/= 7\z/, traces[1])
    assert_equal Encoding::ASCII_8BIT, traces[0].encoding
  end

  def test_registration_order_and_delete
    order = []
    e1 = @g.set_event_callback(Guestfs::EVENT_ENTER) { order << 1 }
    @g.set_event_callback(Guestfs::EVENT_ENTER) { order << 2 }
    e3 = @g.set_event_callback(Guestfs::EVENT_ENTER) { order << 3 }
    assert_equal 3, [e1, e3, e1 + 1].uniq.size
    @g.get_verbose
    assert_equal [1, 2, 3], order
    @g.delete_event_callback(e3)
    @g.delete_event_callback(e3)        # twice: ignored
    @g.delete_event_callback(12_345)    # unknown: ignored
    order.clear
    @g.get_verbose
    assert_equal [1, 2], order
  end

  def test_event_handles_never_reused
    ehs = Array.new(5) do
      eh = @g.set_event_callback(Guestfs::EVENT_CLOSE) {}
      @g.delete_event_callback(eh)
      eh
    end
    assert_equal ehs.uniq, ehs
  end

  def test_delete_inside_itself
    calls = 0
    eh = nil
    eh = @g.set_event_callback(Guestfs::EVENT_ENTER) do
      calls += 1
      @g.delete_event_callback(eh)
      GC.start                           # the running Proc must stay alive
      calls += 100 if @g.get_verbose == 0
    end
    @g.get_trace
    @g.get_trace
    assert_equal 101, calls
  end

  def test_delete_later_callback_in_same_dispatch
    seen = []
    e2 = nil
    @g.set_event_callback(Guestfs::EVENT_ENTER) { |*| seen << 1; @g.delete_event_callback(e2) if e2 }
    e2 = @g.set_event_callback(Guestfs::EVENT_ENTER) { |*| seen << 2 }
    @g.get_trace
    assert_equal [1], seen
  end

  def test_register_during_dispatch
    seen = []
    @g.set_event_callback(Guestfs::EVENT_ENTER) do |_, _, buf,|
      if buf == 'get_trace'
        @g.set_event_callback(Guestfs::EVENT_ENTER) { |_, _, b,| seen << "new:#{b}" }
      end
      seen << "old:#{buf}"
    end
    @g.get_trace
    assert_equal ['old:get_trace'], seen
    @g.get_verbose
    assert_equal ['old:get_trace', 'old:get_verbose', 'new:get_verbose'], seen
  end

  def test_library_calls_inside_callback
    got = nil
    @g.set_event_callback(Guestfs::EVENT_ENTER) do |_, _, buf,|
      got = [@g.get_memsize, @g.internal_test_rstring('in'), @g.is_busy] if buf == 'get_trace'
    end
    @g.get_trace
    assert_equal [1280, 'in', 1], got
    assert_equal 0, @g.is_busy
  end

  def test_close_inside_close_callback
    seen = []
    @g.set_event_callback(Guestfs::EVENT_CLOSE) do |ev,|
      seen << ev
      @g.close
      seen << :after
    end
    @g.close
    assert_equal [Guestfs::EVENT_CLOSE, :after], seen
    assert_raises(ArgumentError) { @g.get_trace }
  end

  def test_close_inside_other_callback_is_deferred
    seen = []
    @g.set_event_callback(Guestfs::EVENT_CLOSE) { seen << :close }
    @g.set_event_callback(Guestfs::EVENT_ENTER) do |_, _, buf,|
      next unless buf == 'internal_test_rstring'
      @g.close
      seen << :closed_in_callback
      # The handle is closing: further calls are refused.
      seen << (begin; @g.get_trace; rescue ArgumentError; :refused; end)
    end
    # The outer call's result is read before the deferred close.
    assert_equal 'result', @g.internal_test_rstring('result')
    assert_equal %i[closed_in_callback refused close], seen
    assert_raises(ArgumentError) { @g.get_trace }
  end

  def test_close_inside_callback_of_failing_call
    @g.set_event_callback(Guestfs::EVENT_ENTER) { @g.close }
    e = assert_raises(Guestfs::Error) { @g.internal_test_rstringerr }
    refute_empty e.message
    assert_raises(ArgumentError) { @g.get_trace }
  end

  def test_standard_error_in_callback_is_printed_and_call_goes_on
    after = []
    @g.set_event_callback(Guestfs::EVENT_ENTER) { |_, _, b,| raise 'boom in callback' if b == 'internal_test_rint' }
    @g.set_event_callback(Guestfs::EVENT_ENTER) { after << :second }
    out, err = capture_io { assert_equal 5, @g.internal_test_rint('5') }
    assert_empty out
    assert_match(/libguestfs: exception in event callback: .*boom in callback/, err)
    assert_equal [:second], after, 'the other callbacks still run'
    assert_equal 0, @g.get_verbose, 'handle usable'
  end

  def test_interrupt_in_callback_is_reraised_after_the_call
    later = []
    @g.set_event_callback(Guestfs::EVENT_ENTER) { |_, _, b,| raise Interrupt if b == 'internal_test_rint' && later.empty? }
    @g.set_event_callback(Guestfs::EVENT_ENTER) { |_, _, b,| later << b }
    assert_raises(Interrupt) { @g.internal_test_rint('5') }
    assert_empty later, 'no further callback runs once the call is cancelled'
    later << :done
    assert_equal 6, @g.internal_test_rint('6')
  end

  class NotStandard < Exception; end # rubocop:disable Lint/InheritException

  def test_non_standard_error_is_reraised
    @g.set_event_callback(Guestfs::EVENT_ENTER) { |_, _, b,| raise NotStandard, 'x' if b == 'get_trace' }
    e = assert_raises(NotStandard) { @g.get_trace }
    assert_equal 'x', e.message
    assert_equal 0, @g.get_verbose
  end

  def test_throw_from_callback
    @g.set_event_callback(Guestfs::EVENT_ENTER) { |_, _, b,| throw :out, 42 if b == 'get_trace' }
    r = catch(:out) do
      @g.get_trace
      :not_thrown
    end
    assert_equal 42, r
    assert_equal 0, @g.get_verbose
  end

  def test_break_from_block_callback
    @g.set_event_callback(Guestfs::EVENT_ENTER) { |_, _, b,| next if b == 'x' }
    assert_equal 0, @g.get_trace
  end

  def test_callback_must_be_callable
    assert_raises(TypeError) { @g.set_event_callback(42, Guestfs::EVENT_ALL) }
    assert_raises(ArgumentError) { @g.set_event_callback(Guestfs::EVENT_ALL) }
    # Any object with #call works, e.g. a Method.
    seen = []
    eh = @g.set_event_callback(seen.method(:push), Guestfs::EVENT_CLOSE)
    @g.close
    assert_equal [Guestfs::EVENT_CLOSE, eh, '', []], seen
  end

  def test_exit_in_callback
    out, = run_ruby_ok(<<~RUBY, status: 7)
      g = Guestfs::Guestfs.new
      g.set_event_callback(Guestfs::EVENT_CLOSE) { puts "close" }
      g.set_event_callback(Guestfs::EVENT_ENTER) { |_, _, b,| exit 7 if b == "get_trace" }
      begin
        g.get_trace
        puts "not reached"
      ensure
        puts "ensure"
      end
    RUBY
    assert_equal "ensure\nclose\n", out
  end

  def test_callbacks_from_two_threads
    counts = Hash.new(0)
    m = Mutex.new
    @g.set_event_callback(Guestfs::EVENT_ENTER) { |_, _, b,| m.synchronize { counts[b] += 1 } }
    ths = 4.times.map do |i|
      Thread.new { 200.times { @g.internal_test_rint(i.to_s) } }
    end
    ths.each(&:join)
    assert_equal 800, counts['internal_test_rint']
  end

  # A callback that waits (releasing the GVL) while another thread calls the
  # same handle: that thread must wait for the handle without holding the
  # GVL, or neither could go on.
  def test_no_deadlock_between_gvl_and_handle_lock
    entered = Queue.new
    @g.set_event_callback(Guestfs::EVENT_ENTER) do |_, _, b,|
      if b == 'internal_test_rstring'
        entered << true
        sleep 0.3
        @g.get_verbose
      end
    end
    t = Thread.new { @g.internal_test_rstring('a') }
    entered.pop
    r = nil
    t2 = Thread.new { r = @g.get_memsize }
    assert t.join(20), 'thread in the callback finished'
    assert t2.join(20), 'thread waiting for the handle finished'
    assert_equal 1280, r
  end

  def test_thread_raise_into_callback
    entered = Queue.new
    armed = true
    @g.set_event_callback(Guestfs::EVENT_ENTER) do |_, _, b,|
      if b == 'internal_test_rstring' && armed
        armed = false
        entered << true
        sleep 30
      end
    end
    t = Thread.new do
      @g.internal_test_rstring('a')
      :finished
    rescue Interrupt
      :interrupted
    end
    entered.pop
    t0 = Time.now
    t.raise(Interrupt)
    assert_equal :interrupted, t.value
    assert_operator Time.now - t0, :<, 20, 'the sleeping callback was interrupted'
    assert_equal 'b', @g.internal_test_rstring('b'), 'handle usable'
  end
  def test_throw_after_close_in_callback
    closed = []
    @g.set_event_callback(Guestfs::EVENT_CLOSE) { closed << :close }
    @g.set_event_callback(Guestfs::EVENT_ENTER) do |_, _, b,|
      if b == 'get_trace'
        @g.close
        throw :out, :thrown
      end
    end
    assert_equal :thrown, catch(:out) { @g.get_trace }
    assert_equal [:close], closed, 'the deferred close ran while re-throwing'
    assert_raises(ArgumentError) { @g.get_trace }
  end

  def test_interrupt_after_close_in_callback
    closed = []
    @g.set_event_callback(Guestfs::EVENT_CLOSE) { closed << :close }
    @g.set_event_callback(Guestfs::EVENT_ENTER) { @g.close; raise Interrupt }
    assert_raises(Interrupt) { @g.get_trace }
    assert_equal [:close], closed
  end

  def test_callback_closing_another_handle
    h = Guestfs::Guestfs.new
    seen = []
    h.set_event_callback(Guestfs::EVENT_CLOSE) { seen << :h_closed }
    @g.set_event_callback(Guestfs::EVENT_ENTER) { h.close }
    @g.get_trace
    assert_equal [:h_closed], seen
    assert_raises(ArgumentError) { h.get_trace }
  end
  def test_close_from_another_thread_during_a_call
    seen = Queue.new
    entered = Queue.new
    release = Queue.new
    armed = true
    @g.set_event_callback(Guestfs::EVENT_CLOSE) { seen << :close }
    @g.set_event_callback(Guestfs::EVENT_ENTER) do |_, _, b,|
      if b == 'internal_test_rstring' && armed
        armed = false
        entered << true
        release.pop
      end
    end
    t = Thread.new { @g.internal_test_rstring('kept') }
    entered.pop
    assert_nil @g.close, 'close returns at once; the close waits for the call'
    assert_raises(ArgumentError) { @g.get_trace }
    assert seen.empty?
    release << true
    assert_equal 'kept', t.value
    assert_equal :close, seen.pop
  end
end
