# ruby/ruby.mk: the Ruby binding (included by the top Makefile).
#
#   make ruby          build the extension into $(BUILD)/ruby/ext/_guestfs.so
#                      and copy lib/guestfs.rb to $(BUILD)/ruby/lib
#   make test-ruby     run the minitest suite against the build tree
#   make test-ruby-valgrind   the same suite under valgrind
#   make test-ruby-asan       the same suite with an ASan/UBSan build of the extension
#   make install-ruby  install into Ruby's site directories (DESTDIR honoured)
#   make ruby-gem      build the gem into $(BUILD)/ruby/goguestfs-$(VERSION).gem

RUBY          ?= ruby
RUBY_BUILD    := $(BUILD)/ruby
RUBY_EXT_SRC  := $(wildcard ruby/ext/guestfs/*.c ruby/ext/guestfs/*.h) ruby/ext/guestfs/extconf.rb
RUBY_ARCHDIR  ?= $(shell $(RUBY) -e 'print RbConfig::CONFIG["sitearchdir"]' 2>/dev/null)
RUBY_LIBDIR   ?= $(shell $(RUBY) -e 'print RbConfig::CONFIG["sitelibdir"]' 2>/dev/null)

ALL_TARGETS     += ruby
TEST_TARGETS    += test-ruby
INSTALL_TARGETS += install-ruby

.PHONY: ruby test-ruby test-ruby-valgrind test-ruby-asan install-ruby ruby-gem

ruby: lib $(RUBY_BUILD)/ext/_guestfs.so $(RUBY_BUILD)/lib/guestfs.rb

# mkmf builds out of tree: extconf.rb is run in $(RUBY_BUILD)/ext and finds
# its sources next to itself; the C library through the build tree's .pc.
$(RUBY_BUILD)/ext/Makefile: ruby/ext/guestfs/extconf.rb $(BUILD)/lib/pkgconfig/goguestfs.pc $(BUILD)/include/guestfs.h
	@mkdir -p $(@D)
	cd $(@D) && PKG_CONFIG_PATH=$(BUILD)/lib/pkgconfig $(RUBY) $(CURDIR)/ruby/ext/guestfs/extconf.rb

$(RUBY_BUILD)/ext/_guestfs.so: $(RUBY_BUILD)/ext/Makefile $(RUBY_EXT_SRC) $(BUILD)/lib/libgoguestfs.so.0
	$(MAKE) -C $(RUBY_BUILD)/ext V=0 DESTDIR=

$(RUBY_BUILD)/lib/guestfs.rb: ruby/lib/guestfs.rb
	@mkdir -p $(@D)
	cp $< $@

test-ruby: ruby
	./run $(RUBY) -w ruby/t/run.rb

# The suite under valgrind, child interpreters included (not the daemon,
# a pure Go program that Memcheck cannot run, nor the disk checkers, whose
# own uninitialised reads are not ours), with the stress
# loops scaled down. Suppressed: only errors whose innermost frame is in the
# Go runtime (tests/c/valgrind.supp) or in libruby itself (ruby/valgrind.supp).
# Ruby never frees its heap at exit, so leaks are not checked.
# It loads the library built with the Go runtime's valgrind annotations
# (see tests/c/run-tests.sh), which describe goroutine stacks to Memcheck;
# leak checking stays off (valgrind 3.19 aborts on those annotations).
test-ruby-valgrind: ruby $(BUILD)/valgrind/lib/libgoguestfs.so.0
	rm -rf $(RUBY_BUILD)/valgrind && mkdir -p $(RUBY_BUILD)/valgrind
	RBGUESTFS_TEST_SCALE=0.02 ./run env LD_LIBRARY_PATH=$(BUILD)/valgrind/lib:$(BUILD)/lib \
		valgrind --error-exitcode=99 --trace-children=yes --trace-children-skip='*/guestfsd,*/sgdisk,*/sfdisk' --leak-check=no \
		--suppressions=tests/c/valgrind.supp --suppressions=ruby/valgrind.supp \
		--log-file=$(RUBY_BUILD)/valgrind/%p.log $(RUBY) ruby/t/run.rb
	@if grep -l 'ERROR SUMMARY: [1-9]' $(RUBY_BUILD)/valgrind/*.log; then \
		echo "valgrind found errors: see the logs above" >&2; exit 1; fi
	@echo "test-ruby-valgrind: no memcheck errors in $$(ls $(RUBY_BUILD)/valgrind | wc -l) processes"

# The suite with the extension built with AddressSanitizer and UBSan (heap
# and globals; stack instrumentation is off because libruby unwinds with
# __builtin_longjmp, which ASan cannot see, leaving stale stack poison).
# libasan is preloaded into the uninstrumented ruby; its quarantine is kept
# small so that the flat-memory tests still measure our memory, and it must
# not manage signal stacks (the Go runtime replaces a thread's sigaltstack,
# and ASan then fails to unmap "its" stack when the thread exits).
RUBY_ASAN_LIBS = $(shell $(CC) -print-file-name=libasan.so):$(shell $(CC) -print-file-name=libubsan.so)
test-ruby-asan: lib
	@mkdir -p $(RUBY_BUILD)/asan
	cd $(RUBY_BUILD)/asan && PKG_CONFIG_PATH=$(BUILD)/lib/pkgconfig \
		RBGUESTFS_CFLAGS='-fsanitize=address,undefined --param asan-stack=0 -fno-omit-frame-pointer -g' \
		RBGUESTFS_LDFLAGS='-fsanitize=address,undefined' $(RUBY) $(CURDIR)/ruby/ext/guestfs/extconf.rb
	$(MAKE) -C $(RUBY_BUILD)/asan V=0 DESTDIR=
	rm -f $(RUBY_BUILD)/asan/*san.*
	./run env LD_PRELOAD=$(RUBY_ASAN_LIBS) \
		ASAN_OPTIONS=detect_leaks=0:handle_segv=0:use_sigaltstack=0:allow_user_segv_handler=1:quarantine_size_mb=4:log_path=$(RUBY_BUILD)/asan/asan \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$(RUBY_BUILD)/asan/ubsan \
		RUBYLIB=$(RUBY_BUILD)/asan:$(RUBY_BUILD)/lib $(RUBY) -w ruby/t/run.rb
	@if ls $(RUBY_BUILD)/asan/*san.* >/dev/null 2>&1; then \
		cat $(RUBY_BUILD)/asan/*san.*; echo "sanitizer reports above" >&2; exit 1; fi

install-ruby: ruby
	install -d $(DESTDIR)$(RUBY_ARCHDIR) $(DESTDIR)$(RUBY_LIBDIR)
	install -m 755 $(RUBY_BUILD)/ext/_guestfs.so $(DESTDIR)$(RUBY_ARCHDIR)/
	install -m 644 ruby/lib/guestfs.rb $(DESTDIR)$(RUBY_LIBDIR)/

ruby-gem: lib
	@mkdir -p $(RUBY_BUILD)
	cd ruby && GOGUESTFS_VERSION=$(VERSION) gem build guestfs.gemspec --output $(RUBY_BUILD)/goguestfs-$(VERSION).gem
