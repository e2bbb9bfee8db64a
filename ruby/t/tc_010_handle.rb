# Creating handles, options, constants, closing, errors.
require_relative 'helper'

class TestHandle < Minitest::Test
  include GuestfsTestHelper

  def test_create_and_close
    g = Guestfs::Guestfs.new
    assert_instance_of Guestfs::Guestfs, g
    assert_nil g.close
    assert_nil g.close, 'closing twice is allowed'
  end

  def test_create_module_function
    g = Guestfs::create(environment: false)
    assert_instance_of Guestfs::Guestfs, g
    assert_equal 0, g.get_trace
    g.close
    g = Guestfs.create
    g.close
  end

  def test_unknown_option
    e = assert_raises(ArgumentError) { Guestfs::Guestfs.new(bogus: 1) }
    assert_equal 'unknown keyword: :bogus', e.message
    assert_raises(TypeError) { Guestfs::Guestfs.new(42) }
  end

  def test_initialize_twice
    g = Guestfs::Guestfs.new
    assert_raises(ArgumentError) { g.send(:initialize) }
    g.close
  end

  def test_use_after_close
    g = Guestfs::Guestfs.new
    g.close
    e = assert_raises(ArgumentError) { g.get_verbose }
    assert_equal 'get_verbose: used handle after closing it', e.message
    e = assert_raises(ArgumentError) { g.internal_test_rint('1') }
    assert_equal 'internal_test_rint: used handle after closing it', e.message
    assert_raises(ArgumentError) { g.set_event_callback(Guestfs::EVENT_ALL) {} }
    assert_raises(ArgumentError) { g.delete_event_callback(0) }
    assert_raises(ArgumentError) { g.user_cancel }
  end

  def test_event_constants
    expected = { CLOSE: 0x1, SUBPROCESS_QUIT: 0x2, LAUNCH_DONE: 0x4, PROGRESS: 0x8,
                 APPLIANCE: 0x10, LIBRARY: 0x20, TRACE: 0x40, ENTER: 0x80,
                 LIBVIRT_AUTH: 0x100, WARNING: 0x200, ALL: 0x3ff }
    expected.each { |name, v| assert_equal v, Guestfs.const_get("EVENT_#{name}"), name }
  end

  def test_event_to_string
    assert_equal 'close,progress',
                 Guestfs::event_to_string(Guestfs::EVENT_CLOSE | Guestfs::EVENT_PROGRESS)
    assert_equal 'appliance,close,enter,launch_done,library,libvirt_auth,progress,' \
                 'subprocess_quit,trace,warning', Guestfs.event_to_string(Guestfs::EVENT_ALL)
    assert_equal 'trace', Guestfs.event_to_string(Guestfs::EVENT_TRACE)
  end

  def test_error_class
    assert Guestfs::Error < StandardError
    g = Guestfs::Guestfs.new
    e = assert_raises(Guestfs::Error) { g.internal_test_rinterr }
    assert_kind_of Integer, e.errno
    refute_empty e.message
    # A bad value: EINVAL from the library, with a message.
    e = assert_raises(Guestfs::Error) { g.set_backend('no-such-backend') }
    assert_equal Errno::EINVAL::Errno, e.errno
    assert_match(/backend/, e.message)
    g.close
  end

  def test_environment_flag
    out, = run_ruby_ok(<<~RUBY, env: { 'LIBGUESTFS_TRACE' => '1' })
      g = Guestfs::Guestfs.new
      h = Guestfs::Guestfs.new(environment: false)
      h.set_event_callback(Guestfs::EVENT_TRACE) { }
      g.set_event_callback(Guestfs::EVENT_TRACE) { }
      puts g.get_trace, h.get_trace
    RUBY
    assert_equal "1\n0\n", out
  end

  def test_version
    g = Guestfs::Guestfs.new
    v = g.version
    assert_equal %w[major minor release extra], v.keys
    assert_equal 1, v['major']
    assert_kind_of Integer, v['minor']
    assert_kind_of String, v['extra']
    g.close
  end
end
