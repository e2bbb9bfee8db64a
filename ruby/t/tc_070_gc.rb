# Garbage collection: Procs marked by their handle (no immortal handles),
# finalizer close with CLOSE events, compaction, GC stress, flat memory.
require_relative 'helper'
require 'weakref'

class TestGC < Minitest::Test
  include GuestfsTestHelper

  def test_register_delete_cycles_flat_memory
    g = Guestfs::Guestfs.new
    cycle = lambda do |n|
      n.times do |i|
        eh = g.set_event_callback(Guestfs::EVENT_ENTER) { i }
        g.delete_event_callback(eh)
      end
      GC.start
    end
    cycle.call(scale(20_000))                   # warm up
    before = rss_kib
    cycle.call(scale(100_000))
    growth = rss_kib - before
    assert_operator growth, :<, 16 * 1024, "RSS grew by #{growth} KiB over #{scale(100_000)} cycles"
    assert_equal 0, g.get_trace
    g.close
  end

  # Handles created and dropped in a method; their Procs capture them.
  def make_handles(n, on_close)
    n.times do
      g = Guestfs::Guestfs.new
      g.set_event_callback(on_close, Guestfs::EVENT_CLOSE)
      g.set_event_callback(Guestfs::EVENT_TRACE) { g.get_trace }  # captures g
      g.set_event_callback(proc { g }, Guestfs::EVENT_CLOSE)       # captures g too
      g.get_verbose
    end
    nil
  end

  def test_unreferenced_handles_collected_and_closed
    closed = 0
    on_close = proc { closed += 1 }
    base = live_handles
    make_handles(200, on_close)
    3.times { GC.start(full_mark: true, immediate_sweep: true) }
    live = live_handles - base
    assert_operator live, :<, 20, "#{live} of 200 handles are still alive"
    # Finalizers run soon after the GC; give them a chance.
    50.times { break if closed >= 200 - live; GC.start; sleep 0.01 }
    assert_operator closed, :>=, 200 - live, 'every collected handle fired CLOSE'
  end

  def test_self_capturing_handle_is_collected
    ref = nil
    closed = []
    on_close = proc { |ev,| closed << ev }
    make = lambda do
      g = Guestfs::Guestfs.new
      g.set_event_callback(Guestfs::EVENT_ALL) { |*| g }
      g.set_event_callback(on_close, Guestfs::EVENT_CLOSE)
      ref = WeakRef.new(g)
      nil
    end
    make.call
    collected = false
    100.times do
      GC.start(full_mark: true, immediate_sweep: true)
      collected = !ref.weakref_alive?
      break if collected
      # The handle may still be referenced from a stale stack slot.
      make_handles(1, proc {})
    end
    assert collected, 'a handle whose Proc captures it must be collectable'
    50.times { break unless closed.empty?; GC.start; sleep 0.01 }
    assert_equal [Guestfs::EVENT_CLOSE], closed
  end

  def test_dead_procs_are_never_called
    # The handle's own Procs die with it; the finalizer close must not call
    # them (it unregisters them first), while a live Proc gets CLOSE.
    closed = 0
    on_close = proc { closed += 1 }
    make_handles(100, on_close)
    GC.stress = false
    20.times do
      GC.start(full_mark: true, immediate_sweep: true)
      # Churn memory so dead Procs' slots are reused.
      Array.new(10_000) { |i| [i.to_s] }
    end
    assert_operator closed, :>, 50
  end

  def test_compaction_keeps_procs
    skip 'GC.compact is not available here' unless GC.respond_to?(:compact)
    g = Guestfs::Guestfs.new
    results = []
    100.times do |i|
      s = "callback #{i}"
      g.set_event_callback(Guestfs::EVENT_ENTER) { results << s }
    end
    # Garbage between the Procs so that compaction moves them.
    Array.new(50_000) { |i| i.to_s }
    GC.start
    GC.compact
    GC.verify_compaction_references(double_heap: false, toward: :empty) if GC.respond_to?(:verify_compaction_references)
    g.get_trace
    assert_equal (0...100).map { |i| "callback #{i}" }, results
    closed = false
    g.set_event_callback(Guestfs::EVENT_CLOSE) { closed = true }
    GC.compact
    g.close
    assert closed
  end

  def test_gc_stress
    closed = 0
    GC.stress = true
    begin
      g = Guestfs::Guestfs.new
      seen = []
      eh = g.set_event_callback(Guestfs::EVENT_ENTER) { |ev, h, buf, arr| seen << [ev, h, buf, arr] }
      g.set_event_callback(Guestfs::EVENT_CLOSE) { closed += 1 }
      assert_equal 'x', g.internal_test_rstring('x')
      assert_equal %w[0 1], g.internal_test_rstringlist('2')
      assert_equal 'pv1', g.internal_test_rstructlist('2')[1]['pv_name']
      assert_equal 3, seen.size
      assert_equal [Guestfs::EVENT_ENTER, eh, 'internal_test_rstring', []], seen[0]
      g.delete_event_callback(eh)
      g.internal_test_rint('1')
      assert_equal 3, seen.size
      g.close
    ensure
      GC.stress = false
    end
    assert_equal 1, closed
  end

  def test_many_unreferenced_handles_flat_memory
    make = lambda do |n|
      n.times do
        g = Guestfs::Guestfs.new
        g.set_event_callback(Guestfs::EVENT_CLOSE) { g }
      end
      GC.start
    end
    make.call(scale(500))
    before = rss_kib
    make.call(scale(3000))
    growth = rss_kib - before
    assert_operator growth, :<, 32 * 1024, "RSS grew by #{growth} KiB over #{scale(3000)} dropped handles"
  end
  def test_close_on_exit_false_handle_closed_when_collected
    closed = 0
    on_close = proc { closed += 1 }
    make = lambda do
      10.times do
        g = Guestfs::Guestfs.new(close_on_exit: false)
        g.set_event_callback(on_close, Guestfs::EVENT_CLOSE)
      end
      nil
    end
    make.call
    50.times { break if closed >= 5; GC.start(full_mark: true, immediate_sweep: true); sleep 0.01 }
    assert_operator closed, :>=, 5
  end
end
