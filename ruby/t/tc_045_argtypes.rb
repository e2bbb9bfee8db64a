# Wrong argument types raise what a Ruby core method raises, in Ruby's own
# words (the conversions are Ruby's: StringValueCStr, Check_Type, NUM2INT,
# NUM2LL), for every argument kind.
require_relative 'helper'

class TestArgTypes < Minitest::Test
  # internal_test's nine arguments, all valid.
  OK = ['a', 'b', %w[c], false, 1, 2, 'e', 'f', 'buf'].freeze
  STR, OPTSTR, STRLIST, BOOL, INT, INT64, FILEIN, FILEOUT, BUFFER = (0..8).to_a

  def setup
    @g = Guestfs::Guestfs.new
    @out = Tempfile.new('argtypes')
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

  # internal_test with argument i replaced by v (and optional arguments).
  def call_with(i, v, *opts)
    args = OK.dup
    args[i] = v
    @g.internal_test(*args, *opts)
  end

  def assert_error(klass, message, &block)
    e = assert_raises(klass, &block)
    if message.is_a?(Regexp)
      assert_match message, e.message
    else
      assert_equal message, e.message
    end
  end

  # libguestfs's ruby/t/tc_800_rhbz507346.rb.
  def test_rhbz507346
    e = assert_raises(TypeError) { @g.parse_environment_list(1) }
    assert_match(/wrong argument type .* \(expected Array\)/, e.message)
  end

  def test_string
    [STR, FILEIN, FILEOUT].each do |i|
      assert_error(TypeError, 'no implicit conversion of Integer into String') { call_with(i, 1) }
      assert_error(TypeError, 'no implicit conversion of nil into String') { call_with(i, nil) }
      assert_error(TypeError, 'no implicit conversion of Symbol into String') { call_with(i, :a) }
      assert_error(ArgumentError, 'string contains null byte') { call_with(i, "a\0b") }
    end
    assert_error(TypeError, 'no implicit conversion of Array into String') { @g.internal_test_rint(['1']) }
    # What a core method accepts as a String, so do we.
    o = Object.new
    def o.to_str = 'via to_str'
    call_with(STR, o)
    assert_equal "via to_str\n", output.lines.first
  end

  def test_optstring
    assert_error(TypeError, 'no implicit conversion of Integer into String') { call_with(OPTSTR, 5) }
    assert_error(ArgumentError, 'string contains null byte') { call_with(OPTSTR, "\0") }
    call_with(OPTSTR, nil)
    assert_equal "null\n", output.lines[1]
  end

  def test_string_list
    assert_error(TypeError, 'wrong argument type Integer (expected Array)') { call_with(STRLIST, 1) }
    assert_error(TypeError, 'wrong argument type String (expected Array)') { call_with(STRLIST, 'a') }
    assert_error(TypeError, 'wrong argument type nil (expected Array)') { call_with(STRLIST, nil) }
    assert_error(TypeError, 'wrong argument type Hash (expected Array)') { call_with(STRLIST, {}) }
    assert_error(TypeError, 'no implicit conversion of Integer into String') { call_with(STRLIST, ['a', 1]) }
    assert_error(TypeError, 'no implicit conversion of nil into String') { call_with(STRLIST, [nil]) }
    assert_error(ArgumentError, 'string contains null byte') { call_with(STRLIST, ["a\0"]) }
    assert_error(TypeError, 'wrong argument type String (expected Array)') { @g.parse_environment_list('X=1') }
  end

  # An element whose to_str empties the Array: the missing elements are
  # nil, refused, and nothing reads past the end.
  def test_string_list_shrinking
    list = []
    o = Object.new
    o.define_singleton_method(:to_str) { list.clear; 'x' }
    list.push(o, 'b', 'c')
    assert_error(TypeError, 'no implicit conversion of nil into String') { call_with(STRLIST, list) }
  end

  def test_int
    assert_error(TypeError, 'no implicit conversion of String into Integer') { call_with(INT, '1') }
    assert_error(TypeError, 'no implicit conversion from nil to integer') { call_with(INT, nil) }
    assert_error(RangeError, /\Ainteger 1099511627776 too big to convert to .int'\z/) { call_with(INT, 2**40) }
    assert_error(RangeError, /\Ainteger -2147483649 too small to convert to .int'\z/) { call_with(INT, -2**31 - 1) }
    assert_error(RangeError, /\Ainteger 1099511627776 too big to convert to .int'\z/) { @g.set_memsize(2**40) }
  end

  def test_int64
    # (Ruby's NUM2LL words its TypeErrors differently from NUM2INT's.)
    assert_error(TypeError, 'no implicit conversion from string') { call_with(INT64, '1') }
    assert_error(TypeError, 'no implicit conversion from nil') { call_with(INT64, nil) }
    assert_error(RangeError, /\Abignum too big to convert into .long long'\z/) { call_with(INT64, 2**64) }
    assert_error(RangeError, /\Abignum too big to convert into .long long'\z/) { @g.add_drive_scratch(2**64) }
  end

  # Booleans are Ruby truth values (libguestfs: RTEST), so no value is of
  # the wrong type; the Integer 0 is false, as old scripts pass 1/0.
  def test_bool
    [true, 1, -1, 'x', 'false', [], :no].each { |v| call_with(BOOL, v) }
    [false, nil, 0].each { |v| call_with(BOOL, v) }
    assert_equal %w[true] * 7 + %w[false] * 3, output.lines.each_slice(9 + 5).map { |l| l[3].chomp }
  end

  def test_buffer
    assert_error(TypeError, 'no implicit conversion of Integer into String') { call_with(BUFFER, 3) }
    assert_error(TypeError, 'no implicit conversion of nil into String') { call_with(BUFFER, nil) }
    assert_error(TypeError, 'no implicit conversion of Array into String') { call_with(BUFFER, [1]) }
    call_with(BUFFER, "\0\xff".b)   # any bytes, NUL included
    assert_equal "<00><ff>\n", output.lines[8]
  end

  def test_optargs_not_a_hash
    assert_error(TypeError, 'wrong argument type Integer (expected Hash)') { @g.internal_test(*OK, 42) }
    assert_error(TypeError, 'wrong argument type Array (expected Hash)') { @g.internal_test_only_optargs([1]) }
    assert_error(TypeError, 'wrong argument type String (expected Hash)') { @g.internal_test_only_optargs('test') }
    @g.internal_test_only_optargs(nil)  # nil: no optional arguments
  end

  def test_optargs_wrong_value_types
    assert_error(TypeError, 'no implicit conversion of String into Integer') { @g.internal_test(*OK, oint: 'x') }
    assert_error(RangeError, /too big to convert to .int'/) { @g.internal_test(*OK, oint: 2**40) }
    assert_error(TypeError, 'no implicit conversion from string') { @g.internal_test(*OK, oint64: '1') }
    assert_error(RangeError, /too big to convert into .long long'/) { @g.internal_test(*OK, oint64: 2**64) }
    assert_error(TypeError, 'no implicit conversion of Integer into String') { @g.internal_test(*OK, ostring: 1) }
    assert_error(ArgumentError, 'string contains null byte') { @g.internal_test(*OK, ostring: "\0") }
    assert_error(TypeError, 'wrong argument type String (expected Array)') { @g.internal_test(*OK, ostringlist: 'a') }
    assert_error(TypeError, 'no implicit conversion of Integer into String') { @g.internal_test(*OK, ostringlist: [1]) }
    assert_error(TypeError, 'no implicit conversion of String into Integer') { @g.internal_test_only_optargs(test: 'x') }
    assert_error(TypeError, 'no implicit conversion of String into Integer') { @g.internal_test_only_optargs('test' => 'x') }
    # obool takes any truth value, as Bool arguments do.
    @g.internal_test(*OK, obool: 'x')
    assert_includes output, "obool: true\n"
  end

  # Unknown keys are refused with Ruby's own keyword-argument error.
  # (libguestfs's binding looks up only the Symbol keys it knows and
  # silently ignores the rest, so a misspelt option did nothing there.)
  def test_optargs_unknown_keys
    assert_error(ArgumentError, 'unknown keyword: :tset') { @g.internal_test_only_optargs(tset: 1) }
    assert_error(ArgumentError, 'unknown keyword: "bogus"') { @g.internal_test_only_optargs('bogus' => 1) }
    assert_error(ArgumentError, 'unknown keyword: 1') { @g.internal_test_only_optargs(1 => 1) }
    assert_error(ArgumentError, 'unknown keywords: :a, :b') { @g.internal_test(*OK, oint: 1, a: 1, b: nil) }
    assert_error(ArgumentError, 'unknown keyword: :obool') { @g.internal_test_only_optargs(obool: true) }
  end

  def test_wrong_number_of_arguments
    assert_error(ArgumentError, 'wrong number of arguments (given 0, expected 1)') { @g.internal_test_rint }
    assert_error(ArgumentError, 'wrong number of arguments (given 2, expected 1)') { @g.internal_test_rint('1', '2') }
    assert_error(ArgumentError, 'wrong number of arguments (given 2, expected 0..1)') { @g.internal_test_only_optargs({}, {}) }
    assert_error(ArgumentError, 'wrong number of arguments (given 8, expected 9..10)') { @g.internal_test(*OK[0, 8]) }
    assert_error(ArgumentError, 'wrong number of arguments (given 11, expected 9..10)') { @g.internal_test(*OK, {}, {}) }
  end

  def test_handle_methods
    assert_error(ArgumentError, 'unknown keyword: :bogus') { Guestfs::Guestfs.new(bogus: 1) }
    assert_error(ArgumentError, 'unknown keywords: :bogus, :x') { Guestfs::create(bogus: 1, x: 2) }
    assert_error(TypeError, 'wrong argument type Integer (expected Hash)') { Guestfs::Guestfs.new(42) }
    assert_error(TypeError, 'wrong argument type Integer (expected Proc)') { @g.set_event_callback(42, Guestfs::EVENT_ALL) }
    assert_error(TypeError, 'no implicit conversion from string') { @g.set_event_callback(proc {}, 'x') }
    assert_error(TypeError, 'no implicit conversion of String into Integer') { @g.delete_event_callback('x') }
    assert_error(TypeError, 'no implicit conversion from nil') { Guestfs::event_to_string(nil) }
  end

  # After any of these errors the handle is untouched and usable.
  def test_handle_usable_after_errors
    assert_raises(TypeError) { call_with(STRLIST, 1) }
    assert_raises(ArgumentError) { @g.internal_test(*OK, nosuch: 1) }
    assert_equal 7, @g.internal_test_rint('7')
  end
end
