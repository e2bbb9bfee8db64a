# The golden binding transcript: the calls of api.BindTests, made from
# Ruby, must print exactly tests/bindtests.golden (the C transcript).
require_relative 'helper'
require_relative 'bindtests_calls'

class TestBindtests < Minitest::Test
  GOLDEN = File.expand_path('../../tests/bindtests.golden', __dir__)

  def test_golden_transcript
    assert File.exist?(GOLDEN), "#{GOLDEN} is missing (make builds it)"
    out = Tempfile.new('bindtests')
    g = Guestfs::Guestfs.new
    g.internal_test_set_output(out.path)
    BindTests.run(g)
    g.internal_test_close_output
    g.close
    # As the C transcript: the output, then an "EOF" line.
    assert_equal File.binread(GOLDEN), File.binread(out.path) + "EOF\n"
  ensure
    out&.close!
  end

  # Keyword syntax gives the same output as an explicit Hash.
  def test_keywords_same_as_hash
    a = Tempfile.new('kw')
    b = Tempfile.new('hash')
    g = Guestfs::Guestfs.new
    g.internal_test_set_output(a.path)
    g.internal_test('s', nil, ['x'], true, 3, 4, 'i', 'o', 'buf'.b, oint: 7, ostring: 'z', obool: false)
    g.internal_test_close_output
    g.internal_test_set_output(b.path)
    g.internal_test('s', nil, ['x'], true, 3, 4, 'i', 'o', 'buf'.b, { 'oint' => 7, 'ostring' => 'z', obool: false })
    g.internal_test_close_output
    g.close
    assert_equal File.binread(b.path), File.binread(a.path)
    assert_match(/oint: 7/, File.read(a.path))
  ensure
    a&.close!
    b&.close!
  end
end
