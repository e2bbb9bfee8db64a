# Handle properties (library-local getters and setters) and state queries.
require_relative 'helper'

class TestProperties < Minitest::Test
  def setup
    @g = Guestfs::Guestfs.new(environment: false)
    # Swallow trace and debug output (printed to stderr without a callback).
    @g.set_event_callback(Guestfs::EVENT_TRACE | Guestfs::EVENT_LIBRARY) {}
  end

  def teardown
    @g.close
  end

  def test_boolean_properties_round_trip
    %w[verbose trace autosync network recovery_proc pgroup].each do |p|
      [1, 0, 1].each do |v|
        assert_nil @g.send("set_#{p}", v)
        assert_equal v, @g.send("get_#{p}"), p
      end
    end
  end

  def test_defaults
    assert_equal 0, @g.get_verbose
    assert_equal 0, @g.get_trace
    assert_equal 1, @g.get_autosync
    assert_equal 0, @g.get_network
    assert_equal 1280, @g.get_memsize
    assert_equal 1, @g.get_smp
    assert_equal 'direct', @g.get_backend
    assert_nil @g.get_append
    assert_equal '', @g.get_hv
    assert_equal '', @g.get_identifier
    assert_equal 'ruby', @g.get_program
  end

  def test_integer_and_string_properties
    @g.set_memsize(512)
    assert_equal 512, @g.get_memsize
    @g.set_smp(4)
    assert_equal 4, @g.get_smp
    @g.set_identifier('my-handle_1')
    assert_equal 'my-handle_1', @g.get_identifier
    @g.set_program('prog')
    assert_equal 'prog', @g.get_program
    @g.set_hv('/bin/true')
    assert_equal '/bin/true', @g.get_hv
    @g.set_path('/a:/b')
    assert_equal '/a:/b', @g.get_path
    @g.set_path(nil)
    refute_equal '/a:/b', @g.get_path
    @g.set_append('x y')
    assert_equal 'x y', @g.get_append
    @g.set_append(nil)
    assert_nil @g.get_append
    dir = Dir.mktmpdir
    @g.set_tmpdir(dir)
    assert_equal dir, @g.get_tmpdir
    @g.set_cachedir(dir)
    assert_equal dir, @g.get_cachedir
    @g.set_tmpdir(nil)
    refute_equal dir, @g.get_tmpdir
    @g.set_backend('default')
    assert_equal 'direct', @g.get_backend
  ensure
    Dir.rmdir(dir) if dir
  end

  def test_property_errors_carry_errno
    e = assert_raises(Guestfs::Error) { @g.set_tmpdir('/nonexistent/dir') }
    assert_equal Errno::ENOENT::Errno, e.errno
    assert_match(/nonexistent/, e.message)
    e = assert_raises(Guestfs::Error) { @g.set_identifier('a b') }
    assert_match(/identifier/, e.message)
    e = assert_raises(Guestfs::Error) { @g.parse_environment_list(['LIBGUESTFS_MEMSIZE=abc']) }
    assert_equal Errno::EINVAL::Errno, e.errno
    assert_match(/LIBGUESTFS_MEMSIZE/, e.message)
  end

  def test_parse_environment_list
    @g.parse_environment_list(%w[LIBGUESTFS_MEMSIZE=640 LIBGUESTFS_TRACE=1 ignored])
    assert_equal 640, @g.get_memsize
    assert_equal 1, @g.get_trace
  end

  def test_state_queries
    assert_equal 0, @g.get_state
    assert_equal 1, @g.is_config
    assert_equal 0, @g.is_launching
    assert_equal 0, @g.is_ready
    assert_equal 0, @g.is_busy
  end

  def test_verbose_library_events
    seen = []
    @g.set_event_callback(Guestfs::EVENT_LIBRARY) { |ev, _, buf,| seen << [ev, buf] }
    @g.set_verbose(1)
    @g.close
    refute_empty seen
    assert(seen.all? { |ev, buf| ev == Guestfs::EVENT_LIBRARY && !buf.empty? })
  end
end
