# Run the whole Ruby test suite: ./run ruby ruby/t/run.rb
# (one file: ./run ruby -Iruby/t ruby/t/tc_060_events.rb).
$LOAD_PATH.unshift(__dir__)
Dir[File.join(__dir__, 'tc_*.rb')].sort.each { |f| require f }
