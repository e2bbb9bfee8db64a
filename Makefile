# goguestfs: `make` builds everything into $(BUILD); `make test` runs every
# test; `make install` installs (PREFIX, DESTDIR). Every target that builds
# or tests first installs missing Debian packages (scripts/install-deps.sh).

BUILD      ?= $(CURDIR)/build
PREFIX     ?= /usr/local
DESTDIR    ?=
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
LIBEXECDIR ?= $(PREFIX)/libexec/goguestfs
GO         ?= go
CC         ?= cc
VERSION    := 1.0.0

export CGO_ENABLED := 1

# `make` with no target builds everything, as `make all` does: the fragments
# included below define targets of their own before `all:` is read, so the
# goal is set here (tests/check-default-goal.sh checks it).
.DEFAULT_GOAL := all

# Fragments add their targets to these lists.
ALL_TARGETS     := lib daemon
TEST_TARGETS    := check-generated check-default-goal test-go test-c test-c-valgrind test-oracle
INSTALL_TARGETS := install-lib install-daemon

-include python/python.mk
-include ruby/ruby.mk

.PHONY: all deps lib daemon install-daemon demo generate check-generated check-default-goal test test-go test-c test-c-valgrind \
	install install-lib bench clean FORCE

all: deps $(ALL_TARGETS)

deps:
	@scripts/install-deps.sh

GO_SOURCES := go.mod go.sum $(shell find core bridge protocol daemon generator -name '*.go' 2>/dev/null)
BRIDGE_C   := $(wildcard bridge/*.c bridge/*.h) bridge/libgoguestfs.map

# The install location is compiled into the library (the daemon's default
# search path), so a change of LIBEXECDIR rebuilds it.
$(BUILD)/libexecdir.stamp: FORCE
	@mkdir -p $(BUILD)
	@echo '$(LIBEXECDIR)' | cmp -s - $@ || echo '$(LIBEXECDIR)' > $@

lib: deps $(BUILD)/lib/libgoguestfs.so $(BUILD)/include/guestfs.h $(BUILD)/lib/pkgconfig/goguestfs.pc

LIB_LDFLAGS := -X goguestfs/core.LibexecDir=$(LIBEXECDIR) \
	-extldflags "-Wl,--version-script=$(CURDIR)/bridge/libgoguestfs.map -Wl,-soname,libgoguestfs.so.0"

$(BUILD)/lib/libgoguestfs.so.0: $(GO_SOURCES) $(BRIDGE_C) $(BUILD)/libexecdir.stamp
	@mkdir -p $(@D)
	cd bridge && $(GO) build -buildmode=c-shared -trimpath -ldflags '$(LIB_LDFLAGS)' -o $@ .
	rm -f $(@D)/libgoguestfs.so.h

$(BUILD)/lib/libgoguestfs.so: $(BUILD)/lib/libgoguestfs.so.0
	ln -sf libgoguestfs.so.0 $@

$(BUILD)/include/guestfs.h: bridge/guestfs.h
	@mkdir -p $(@D)
	cp $< $@

$(BUILD)/lib/pkgconfig/goguestfs.pc: scripts/pkgconfig.sh Makefile
	@mkdir -p $(@D)
	scripts/pkgconfig.sh $(BUILD) $(BUILD)/lib $(BUILD)/include $(VERSION) > $@

# The daemon, built with cgo as it ships (C drivers are linked into it): its
# sandbox reaches every thread, C's too, through psx and seccomp's TSYNC.
DAEMON_SOURCES := go.mod go.sum $(shell find daemon protocol -name '*.go' -not -name '*_test.go' 2>/dev/null)

daemon: $(BUILD)/libexec/guestfsd

$(BUILD)/libexec/guestfsd: $(DAEMON_SOURCES)
	@mkdir -p $(@D)
	CGO_ENABLED=1 $(GO) build -trimpath -o $@ ./daemon/guestfsd

# The main job: every example, run against the build tree.
demo: all
	examples/demo.sh

generate:
	$(GO) run ./generator

check-generated:
	$(GO) run ./generator -check

check-default-goal:
	MAKE='$(MAKE)' tests/check-default-goal.sh $(CURDIR)/Makefile

# ---- tests ----------------------------------------------------------------

test: all
	@$(MAKE) --no-print-directory $(TEST_TARGETS)
	@echo "make test: all test suites passed"

test-go: deps daemon
	$(GO) vet ./core/... ./protocol/... ./daemon/... ./generator/...
	$(GO) test -race -count=1 ./core/... ./protocol/... ./daemon/... ./generator/...

C_TESTS := $(patsubst tests/c/%.c,$(BUILD)/tests/c/%,$(wildcard tests/c/test-*.c))

$(BUILD)/tests/c/%: tests/c/%.c tests/c/tests.h lib
	@mkdir -p $(@D)
	./run sh -c '$(CC) -std=gnu11 -Wall -Werror -g -o $@ $< $$(pkg-config --cflags --libs goguestfs) -lpthread'

test-c: $(C_TESTS)
	./run tests/c/run-tests.sh $(BUILD)/tests/c

# The library with the Go runtime's valgrind annotations (its goroutine
# stacks described to Memcheck), for the memory-checked test run.
$(BUILD)/valgrind/lib/libgoguestfs.so.0: $(GO_SOURCES) $(BRIDGE_C) $(BUILD)/libexecdir.stamp
	@mkdir -p $(@D)
	cd bridge && $(GO) build -tags valgrind -buildmode=c-shared -ldflags '$(LIB_LDFLAGS)' -o $@ .
	rm -f $(@D)/libgoguestfs.so.h

test-c-valgrind: $(C_TESTS) $(BUILD)/valgrind/lib/libgoguestfs.so.0
	./run tests/c/run-tests.sh --valgrind $(BUILD)/valgrind/lib $(BUILD)/tests/c

# The cross-check against Debian's libguestfs, whose appliance boots a real
# kernel (tests/oracle/, about 3-4 minutes; the first run on a machine also
# installs the oracle's ~150 packages and builds its appliance).
.PHONY: test-oracle
test-oracle: python daemon
	@scripts/install-deps.sh scripts/packages-oracle.txt
	./run python3 -m unittest -v tests/oracle/test_crosscheck.py

# ---- install --------------------------------------------------------------

install: all $(INSTALL_TARGETS)

install-lib: lib
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBEXECDIR)
	install -m 755 $(BUILD)/lib/libgoguestfs.so.0 $(DESTDIR)$(LIBDIR)/
	ln -sf libgoguestfs.so.0 $(DESTDIR)$(LIBDIR)/libgoguestfs.so
	install -m 644 $(BUILD)/include/guestfs.h $(DESTDIR)$(INCLUDEDIR)/
	scripts/pkgconfig.sh $(PREFIX) $(LIBDIR) $(INCLUDEDIR) $(VERSION) > $(BUILD)/goguestfs-install.pc
	install -m 644 $(BUILD)/goguestfs-install.pc $(DESTDIR)$(LIBDIR)/pkgconfig/goguestfs.pc

install-daemon: daemon
	install -d $(DESTDIR)$(LIBEXECDIR)
	install -m 755 $(BUILD)/libexec/guestfsd $(DESTDIR)$(LIBEXECDIR)/

# ---- benchmarks -----------------------------------------------------------

bench: all
	@mkdir -p $(BUILD)/bench
	$(GO) test -run=NONE -bench=. -benchmem ./core/... | tee $(BUILD)/bench/go.txt
	./run python3 bench/bench.py | tee $(BUILD)/bench/python.txt
	./run python3 bench/filesystems.py | tee $(BUILD)/bench/filesystems.txt
	./run python3 bench/transfer.py | tee $(BUILD)/bench/transfer.txt

clean:
	rm -rf $(BUILD)
