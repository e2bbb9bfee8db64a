# Optional arguments: a trailing Hash (or keywords) with libguestfs's names.
require_relative 'helper'

class TestOptargs < Minitest::Test
  def setup
    @g = Guestfs::Guestfs.new
    @out = Tempfile.new('optargs')
    @g.internal_test_set_output(@out.path)
  end

  def teardown
    @g.close
    @out.close!
  end

  def output
    @g.internal_test_close_output
    File.read(@out.path)
  end

  def test_only_optargs
    @g.internal_test_only_optargs
    @g.internal_test_only_optargs(test: 3)
    @g.internal_test_only_optargs({ 'test' => 4 })
    @g.internal_test_only_optargs(test: nil)    # nil: not given
    @g.internal_test_only_optargs(nil)
    assert_equal "test: unset\ntest: 3\ntest: 4\ntest: unset\ntest: unset\n", output
  end

  def test_63_optargs
    @g.internal_test_63_optargs(opt1: 1, opt63: -63, 'opt32' => 32)
    lines = output.lines
    assert_equal 63, lines.size
    assert_equal "opt1: 1\n", lines[0]
    assert_equal "opt32: 32\n", lines[31]
    assert_equal "opt63: -63\n", lines[62]
    assert_equal 60, lines.count { |l| l.end_with?(": unset\n") }
  end

  def test_all_kinds
    @g.internal_test('a', 'b', %w[c d], false, 1, 2, 'e', 'f', "\xff\x00".b,
                     obool: true, oint: -1, oint64: 2**40, ostring: 'g', ostringlist: %w[h i])
    assert_equal <<~OUT, output
      a
      b
      ["c", "d"]
      false
      1
      2
      e
      f
      <ff><00>
      obool: true
      oint: -1
      oint64: 1099511627776
      ostring: g
      ostringlist: ["h", "i"]
    OUT
  end

  def test_unknown_key
    e = assert_raises(ArgumentError) { @g.internal_test_only_optargs(tset: 1) }
    assert_equal 'unknown keyword: :tset', e.message
    assert_raises(ArgumentError) { @g.internal_test_only_optargs('bogus' => 1) }
    assert_raises(ArgumentError) { @g.internal_test_only_optargs(1 => 1) }
  end

  def test_bad_optargs
    assert_raises(TypeError) { @g.internal_test_only_optargs(42) }
    assert_raises(TypeError) { @g.internal_test_only_optargs(test: 'x') }
    assert_raises(ArgumentError) { @g.internal_test_only_optargs({}, {}) }
    assert_raises(RangeError) { @g.internal_test_only_optargs(test: 2**40) }
  end
end
