# python/python.mk: the Python binding (included by the top Makefile).
#
#   make python          build the guestfs package into $(BUILD)/python
#   make test-python     run the unittest suite against it (through ./run)
#   make install-python  install the package into PYTHON_SITEDIR
#   make test-python-valgrind   the suite under valgrind (not part of make test)
#
# The extension is compiled directly with $(CC); python/setup.py compiles the
# same sources for pip (see python/README.md).

PYTHON         ?= python3
PY_EXT_SUFFIX  := $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))' 2>/dev/null)
PY_INCLUDE     := $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_paths()["include"])' 2>/dev/null)
PYTHON_SITEDIR ?= $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_path("platlib", vars={"base": "$(PREFIX)", "platbase": "$(PREFIX)"}))' 2>/dev/null)
# The interpreter binary itself (valgrind must not run a wrapper script such
# as a pyenv shim).
PYTHON_EXE     := $(shell $(PYTHON) -c 'import sys; print(sys.executable)' 2>/dev/null)
PY_CFLAGS      ?= -O2 -g
PY_WARN        := -std=gnu11 -Wall -Wextra -Werror -Wno-missing-field-initializers -Wno-cast-function-type

PY_SRCS   := python/src/handle.c python/src/actions.c
PY_PKG    := $(BUILD)/python/guestfs
PY_MOD    := $(PY_PKG)/libguestfsmod$(PY_EXT_SUFFIX)
PY_FILES  := $(PY_PKG)/__init__.py $(PY_PKG)/__init__.pyi $(PY_PKG)/py.typed

ALL_TARGETS     += python
TEST_TARGETS    += test-python
INSTALL_TARGETS += install-python

.PHONY: python test-python test-python-valgrind install-python

python: lib $(PY_MOD) $(PY_FILES)

$(PY_MOD): $(PY_SRCS) python/src/guestfs-py.h $(wildcard $(BUILD)/include/guestfs.h) | lib
	@test -n "$(PY_INCLUDE)" || { echo "python.mk: $(PYTHON) not found (python3-dev)"; exit 1; }
	@mkdir -p $(@D)
	$(CC) $(PY_WARN) $(PY_CFLAGS) -shared -fPIC -fvisibility=hidden \
		-I$(PY_INCLUDE) -I$(BUILD)/include -Ipython/src $(PY_SRCS) \
		-L$(BUILD)/lib -lgoguestfs -lpthread -o $@

$(PY_PKG)/%: python/guestfs/%
	@mkdir -p $(@D)
	cp $< $@

test-python: python
	./run $(PYTHON) -m unittest discover -s python/t -p 'test_*.py' -v

# The suite under valgrind; any unsuppressed error fails it. The
# suppressions cover only Go-runtime frames and CPython's known noise.
# VALGRIND_PYTHON defaults to Debian's /usr/bin/python3 when it is the same
# minor version (extension ABI): some other builds (pyenv's 3.11.7) report
# uninitialised reads inside CPython itself (int.from_bytes) at every import.
VALGRIND_PYTHON ?= $(shell v=$$($(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	if [ -x /usr/bin/python3 ] && [ "$$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')" = "$$v" ]; \
	then echo /usr/bin/python3; else echo $(PYTHON_EXE); fi)

# It loads the library built with the Go runtime's valgrind annotations
# (see tests/c/run-tests.sh), which describe goroutine stacks to Memcheck.
test-python-valgrind: python $(BUILD)/valgrind/lib/libgoguestfs.so.0
	GUESTFS_TEST_VALGRIND=1 PYTHONMALLOC=malloc ./run env LD_LIBRARY_PATH=$(BUILD)/valgrind/lib:$(BUILD)/lib \
		valgrind --error-exitcode=99 \
		--leak-check=no --num-callers=30 \
		--suppressions=python/valgrind.supp --gen-suppressions=all \
		$(VALGRIND_PYTHON) -m unittest discover -s python/t -p 'test_*.py'

install-python: python
	install -d $(DESTDIR)$(PYTHON_SITEDIR)/guestfs
	install -m 755 $(PY_MOD) $(DESTDIR)$(PYTHON_SITEDIR)/guestfs/
	install -m 644 $(PY_FILES) $(DESTDIR)$(PYTHON_SITEDIR)/guestfs/
