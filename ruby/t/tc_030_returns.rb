# Every return type of the internal test actions, and their error twins.
require_relative 'helper'

class TestReturns < Minitest::Test
  def setup
    @g = Guestfs::Guestfs.new
  end

  def teardown
    @g.close
  end

  def test_rint
    assert_equal 10, @g.internal_test_rint('10')
    assert_equal(-3, @g.internal_test_rint('-3'))
  end

  def test_rint64
    assert_equal 2**62, @g.internal_test_rint64((2**62).to_s)
    assert_equal(-2**63, @g.internal_test_rint64((-2**63).to_s))
  end

  def test_rbool_default_integers
    assert_equal 1, @g.internal_test_rbool('true')
    assert_equal 0, @g.internal_test_rbool('false')
    assert_equal 0, @g.get_verbose
  end

  def test_rbool_ruby_bool
    g = Guestfs::Guestfs.new(ruby_bool: true)
    assert_same true, g.internal_test_rbool('true')
    assert_same false, g.internal_test_rbool('false')
    g.set_autosync(false)
    assert_same false, g.get_autosync
    g.set_autosync(true)
    assert_same true, g.get_autosync
    g.close
  end

  def test_bool_arguments
    @g.set_verbose(1)
    assert_equal 1, @g.get_verbose
    @g.set_verbose(0)              # 0 is false (libguestfs scripts pass 1/0)
    assert_equal 0, @g.get_verbose
    @g.set_verbose(true)
    assert_equal 1, @g.get_verbose
    @g.set_verbose(nil)
    assert_equal 0, @g.get_verbose
  end

  def test_rconststring
    s = @g.internal_test_rconststring('x')
    assert_equal 'static string', s
    assert_equal Encoding::UTF_8, s.encoding
  end

  def test_rconstoptstring
    assert_equal 'static string', @g.internal_test_rconstoptstring('x')
    assert_nil @g.internal_test_rconstoptstringerr, 'NULL without an error is nil'
  end

  def test_rstring
    s = @g.internal_test_rstring("unicode \u00e9 \u65e5")
    assert_equal "unicode \u00e9 \u65e5", s
    assert_equal Encoding::UTF_8, s.encoding
    assert_equal '', @g.internal_test_rstring('')
  end

  def test_rstringlist
    assert_equal [], @g.internal_test_rstringlist('0')
    assert_equal %w[0 1 2], @g.internal_test_rstringlist('3')
  end

  def test_rstruct
    s = @g.internal_test_rstruct('x')
    assert_kind_of Hash, s
    assert_equal 'pv0', s['pv_name']
    assert_equal 32, s['pv_uuid'].bytesize
    %w[pv_size dev_size pv_free pv_used pv_pe_count pv_pe_alloc_count pe_start
       pv_mda_count pv_mda_free].each { |k| assert_kind_of Integer, s[k], k }
  end

  def test_rstructlist
    assert_equal [], @g.internal_test_rstructlist('0')
    l = @g.internal_test_rstructlist('3')
    assert_equal %w[pv0 pv1 pv2], l.map { |s| s['pv_name'] }
  end

  def test_rhashtable
    assert_equal({}, @g.internal_test_rhashtable('0'))
    assert_equal({ '0' => '0', '1' => '1', '2' => '2' }, @g.internal_test_rhashtable('3'))
  end

  def test_rbufferout
    b = @g.internal_test_rbufferout('abc')
    assert_equal 'abc', b
    assert_equal Encoding::ASCII_8BIT, b.encoding
    assert_equal '', @g.internal_test_rbufferout('')
  end

  def test_error_twins
    %w[rint rint64 rbool rconststring rstring rstringlist rstruct rstructlist
       rhashtable rbufferout].each do |t|
      e = assert_raises(Guestfs::Error, t) { @g.send("internal_test_#{t}err") }
      refute_empty e.message, t
      assert_kind_of Integer, e.errno, t
    end
  end

  def test_bad_number
    assert_raises(Guestfs::Error) { @g.internal_test_rint('not a number') }
  end

  def test_argument_types
    assert_raises(TypeError) { @g.internal_test_rint(42) }
    assert_raises(ArgumentError) { @g.internal_test_rint("a\0b") }
    assert_raises(ArgumentError) { @g.internal_test_rint }
    assert_raises(ArgumentError) { @g.internal_test_rint('1', '2') }
    assert_raises(RangeError) { @g.set_memsize(2**40) }
    assert_raises(TypeError) { @g.parse_environment_list('X=1') }
    assert_raises(TypeError) { @g.parse_environment_list([1]) }
    # Objects with to_str are strings.
    o = Object.new
    def o.to_str = '5'
    assert_equal 5, @g.internal_test_rint(o)
  end
end
