"""Actions, return types, arguments, errors and properties of the binding."""

import ast
import errno
import inspect
import os
import tempfile
import unittest

import guestfs

import bindtests
from helpers import TOP, run_script


class OutputMixin:
    """Capture the output of the internal_test actions in a file."""

    def setUp(self):
        self.g = guestfs.GuestFS(environment=False)
        fd, self.out = tempfile.mkstemp(prefix="pytest-out-")
        os.close(fd)
        self.g.internal_test_set_output(self.out)

    def tearDown(self):
        self.g.close()
        os.unlink(self.out)

    def output(self):
        self.g.internal_test_close_output()
        with open(self.out, "rb") as f:
            data = f.read()
        self.g.internal_test_set_output(self.out)
        return data.decode("utf-8")


class TestGolden(OutputMixin, unittest.TestCase):
    def test_bindtests_golden(self):
        """api.BindTests from Python prints tests/bindtests.golden exactly."""
        bindtests.run(self.g)
        self.g.internal_test_close_output()
        with open(self.out, "rb") as f:
            got = f.read() + b"EOF\n"   # as the C transcript ends
        with open(os.path.join(TOP, "tests", "bindtests.golden"), "rb") as f:
            want = f.read()
        self.assertTrue(len(want) > 0)
        self.assertEqual(got.decode("utf-8").splitlines(), want.decode("utf-8").splitlines())
        self.assertEqual(got, want)
        self.g.internal_test_set_output(self.out)


class TestOptargs(OutputMixin, unittest.TestCase):
    ARGS = ("abc", "def", [], False, 0, 0, "123", "456", b"abc\x00abc")

    def test_no_optargs(self):
        self.g.internal_test(*self.ARGS)
        out = self.output()
        for name in ("obool", "oint", "oint64", "ostring", "ostringlist"):
            self.assertIn("%s: unset\n" % name, out)

    def test_one_optarg(self):
        self.g.internal_test(*self.ARGS, oint=7)
        out = self.output()
        self.assertIn("oint: 7\n", out)
        self.assertIn("obool: unset\n", out)

    def test_several_optargs(self):
        self.g.internal_test(*self.ARGS, obool=True, oint64=-5, ostring="x",
                             ostringlist=("a", "b"))
        out = self.output()
        self.assertIn("obool: true\n", out)
        self.assertIn("oint64: -5\n", out)
        self.assertIn("ostring: x\n", out)
        self.assertIn("oint: unset\n", out)

    def test_none_means_unset(self):
        self.g.internal_test(*self.ARGS, oint=None, ostring=None)
        out = self.output()
        self.assertIn("oint: unset\n", out)
        self.assertIn("ostring: unset\n", out)

    def test_only_optargs(self):
        self.g.internal_test_only_optargs()
        self.g.internal_test_only_optargs(test=3)
        self.assertEqual(self.output(), "test: unset\ntest: 3\n")

    def test_63_optargs(self):
        self.g.internal_test_63_optargs(opt2=2, opt63=63)
        out = self.output()
        self.assertIn("opt2: 2\n", out)
        self.assertIn("opt63: 63\n", out)
        self.assertIn("opt1: unset\n", out)

    def test_wrong_optarg_name(self):
        with self.assertRaises(TypeError):
            self.g.internal_test(*self.ARGS, nosuch=1)
        with self.assertRaises(TypeError):
            self.g.internal_test_only_optargs(tset=1)

    def test_wrong_types(self):
        g = self.g
        with self.assertRaises(TypeError):
            g.internal_test(1, *self.ARGS[1:])
        with self.assertRaises(TypeError):
            g.internal_test("abc", "def", "not-a-list", *self.ARGS[3:])
        with self.assertRaises(TypeError):
            g.internal_test("abc", "def", ["ok", 1], *self.ARGS[3:])
        with self.assertRaises(TypeError):
            g.internal_test("abc", "def", [], False, "0", *self.ARGS[5:])
        with self.assertRaises(TypeError):
            g.internal_test("abc", "def", [], False, 0, 0, "123", "456", "not-bytes")
        with self.assertRaises(TypeError):
            g.internal_test(*self.ARGS, oint="1")
        with self.assertRaises(TypeError):
            g.internal_test(*self.ARGS, ostring=1)
        with self.assertRaises(TypeError):
            g.internal_test(*self.ARGS, ostringlist="abc")
        with self.assertRaises(OverflowError):
            g.internal_test("abc", "def", [], False, 2 ** 31, *self.ARGS[5:])
        with self.assertRaises(OverflowError):
            g.internal_test(*self.ARGS, oint=2 ** 31)
        with self.assertRaises(OverflowError):
            g.internal_test(*self.ARGS, oint64=2 ** 63)
        with self.assertRaises(ValueError):
            g.internal_test("a\x00b", *self.ARGS[1:])
        with self.assertRaises(ValueError):
            g.internal_test("abc", "def", ["a\x00"], *self.ARGS[3:])
        with self.assertRaises(UnicodeEncodeError):
            g.internal_test("\udcff", *self.ARGS[1:])
        with self.assertRaises(TypeError):
            g.internal_test("abc")
        # None of the rejected calls reached the library.
        self.assertEqual(self.output(), "")

    def test_buffer_types(self):
        self.g.internal_test("s", None, ["x"], 1, 1, 1, "i", "o", bytearray(b"\x01\xff"))
        self.g.internal_test("s", None, ["x"], 0, 1, 1, "i", "o", memoryview(b"z"))
        out = self.output()
        self.assertIn("<01><ff>\n", out)
        self.assertIn("<7a>\n", out)
        self.assertIn("null\n", out)


class TestReturns(unittest.TestCase):
    def setUp(self):
        self.g = guestfs.GuestFS(environment=False)

    def tearDown(self):
        self.g.close()

    def test_scalars(self):
        g = self.g
        self.assertEqual(g.internal_test_rint("10"), 10)
        self.assertEqual(g.internal_test_rint("-3"), -3)
        self.assertEqual(g.internal_test_rint64("9223372036854775807"), 2 ** 63 - 1)
        self.assertIs(g.internal_test_rbool("true"), True)
        self.assertIs(g.internal_test_rbool("false"), False)
        self.assertTrue(g.internal_test_rbool("true") == 1)

    def test_strings(self):
        g = self.g
        self.assertEqual(g.internal_test_rconststring("x"), "static string")
        self.assertEqual(g.internal_test_rconstoptstring("x"), "static string")
        self.assertIsNone(g.internal_test_rconstoptstringerr())
        self.assertEqual(g.internal_test_rstring("h\u00e9llo \u65e5"), "h\u00e9llo \u65e5")
        self.assertEqual(g.internal_test_rstring(""), "")
        self.assertEqual(g.internal_test_rbufferout("a\u00e9"), "a\u00e9".encode())
        self.assertIsInstance(g.internal_test_rbufferout(""), bytes)

    def test_lists(self):
        g = self.g
        self.assertEqual(g.internal_test_rstringlist("0"), [])
        self.assertEqual(g.internal_test_rstringlist("3"), ["0", "1", "2"])
        self.assertEqual(g.internal_test_rhashtable("0"), [])
        self.assertEqual(g.internal_test_rhashtable("2"), [("0", "0"), ("1", "1")])

    def test_structs(self):
        g = self.g
        s = g.internal_test_rstruct("x")
        self.assertIsInstance(s, dict)
        self.assertEqual(s["pv_name"], "pv0")
        self.assertEqual(len(s["pv_uuid"]), 32)
        self.assertIsInstance(s["pv_size"], int)
        self.assertEqual(list(s), ["pv_name", "pv_uuid", "pv_fmt", "pv_size", "dev_size",
                                   "pv_free", "pv_used", "pv_attr", "pv_pe_count",
                                   "pv_pe_alloc_count", "pv_tags", "pe_start",
                                   "pv_mda_count", "pv_mda_free"])
        l = g.internal_test_rstructlist("3")
        self.assertEqual([p["pv_name"] for p in l], ["pv0", "pv1", "pv2"])
        self.assertEqual(g.internal_test_rstructlist("0"), [])

    def test_return_dict(self):
        g = guestfs.GuestFS(python_return_dict=True, environment=False)
        self.assertEqual(g.internal_test_rhashtable("2"), {"0": "0", "1": "1"})
        self.assertEqual(g.internal_test_rhashtable("0"), {})
        # Only hash tables change.
        self.assertEqual(g.internal_test_rstringlist("1"), ["0"])
        self.assertIsInstance(g.internal_test_rstruct("x"), dict)
        g.close()

    def test_errors(self):
        g = self.g
        for name in ("rint", "rint64", "rbool", "rconststring", "rstring",
                     "rstringlist", "rstruct", "rstructlist", "rhashtable", "rbufferout"):
            with self.subTest(name=name):
                with self.assertRaises(guestfs.Error) as cm:
                    getattr(g, "internal_test_%serr" % name)()
                e = cm.exception
                self.assertIsInstance(e, RuntimeError)
                self.assertIsInstance(e.errno, int)
                self.assertIn("internal_test_%serr" % name, str(e))
        # The handle is still usable after errors.
        self.assertEqual(g.internal_test_rint("1"), 1)

    def test_errno(self):
        with self.assertRaises(guestfs.Error) as cm:
            self.g.set_backend("no-such-backend")
        self.assertEqual(cm.exception.errno, errno.EINVAL)
        self.assertIn("no-such-backend", str(cm.exception))
        self.assertEqual(guestfs.Error("x").errno, 0)

    def test_invalid_utf8_results(self):
        """Non-UTF-8 strings from the library raise UnicodeDecodeError."""
        g = self.g
        g.parse_environment_list([])  # nothing set: no error
        old = {k: os.environb.get(k) for k in (b"LIBGUESTFS_HV", b"LIBGUESTFS_PATH")}
        os.environb[b"LIBGUESTFS_HV"] = b"/nonexistent/\xff\xfe"
        os.environb[b"LIBGUESTFS_PATH"] = b"/nonexistent/\xc3"
        try:
            g.parse_environment()
        finally:
            # Restore both: later tests launch the daemon through them.
            for k, v in old.items():
                if v is None:
                    del os.environb[k]
                else:
                    os.environb[k] = v
        with self.assertRaises(UnicodeDecodeError):
            g.get_hv()          # RString
        with self.assertRaises(UnicodeDecodeError):
            g.get_path()        # RConstString
        self.assertEqual(g.internal_test_rint("2"), 2)


class TestHandle(unittest.TestCase):
    def test_properties(self):
        g = guestfs.GuestFS(environment=False)
        traces = []
        g.set_event_callback(lambda ev, eh, buf, a: traces.append(buf), guestfs.EVENT_TRACE)
        for name in ("verbose", "trace", "autosync", "network", "recovery_proc", "pgroup"):
            with self.subTest(name=name):
                getattr(g, "set_" + name)(True)
                self.assertIs(getattr(g, "get_" + name)(), True)
                getattr(g, "set_" + name)(0)
                self.assertIs(getattr(g, "get_" + name)(), False)
        self.assertIn(b"set_trace false", traces)  # traced to the callback, not stderr
        g.set_memsize(512)
        self.assertEqual(g.get_memsize(), 512)
        g.set_smp(2)
        self.assertEqual(g.get_smp(), 2)
        g.set_identifier("id_1-x")
        self.assertEqual(g.get_identifier(), "id_1-x")
        g.set_program("prog")
        self.assertEqual(g.get_program(), "prog")
        g.set_append("a b")
        self.assertEqual(g.get_append(), "a b")
        g.set_append(None)
        self.assertIsNone(g.get_append())
        g.set_hv("/bin/true")
        self.assertEqual(g.get_hv(), "/bin/true")
        d = tempfile.mkdtemp()
        g.set_tmpdir(d)
        self.assertEqual(g.get_tmpdir(), d)
        g.set_cachedir(d)
        self.assertEqual(g.get_cachedir(), d)
        os.rmdir(d)
        g.set_path("/a:/b")
        self.assertEqual(g.get_path(), "/a:/b")
        g.set_backend("direct")
        self.assertEqual(g.get_backend(), "direct")
        self.assertEqual(g.get_state(), 0)
        self.assertIs(g.is_config(), True)
        self.assertIs(g.is_ready(), False)
        self.assertIs(g.is_launching(), False)
        self.assertIs(g.is_busy(), False)
        with self.assertRaises(guestfs.Error) as cm:
            g.set_identifier("bad id!")
        self.assertEqual(cm.exception.errno, errno.EINVAL)
        g.close()

    def test_version(self):
        g = guestfs.GuestFS()
        v = g.version()
        self.assertEqual(v["major"], 1)
        self.assertEqual(set(v), {"major", "minor", "release", "extra"})
        g.close()

    def test_environment_flag(self):
        code = """
            import guestfs
            print(guestfs.GuestFS().get_trace(), guestfs.GuestFS(environment=False).get_trace())
            g = guestfs.GuestFS(environment=False)
            g.parse_environment()
            print(g.get_trace(), g.get_memsize())
            g.set_trace(0)
        """
        p = run_script(code, env={"LIBGUESTFS_TRACE": "1", "LIBGUESTFS_MEMSIZE": "700"})
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.split("\n")[:2], ["True False", "True 700"])

    def test_parse_environment_list(self):
        g = guestfs.GuestFS(environment=False)
        g.set_event_callback(lambda *a: None, guestfs.EVENT_TRACE)
        g.parse_environment_list(["LIBGUESTFS_TRACE=1", "IGNORED", "LIBGUESTFS_MEMSIZE=600"])
        self.assertIs(g.get_trace(), True)
        g.set_trace(False)
        self.assertEqual(g.get_memsize(), 600)
        with self.assertRaises(guestfs.Error) as cm:
            g.parse_environment_list(["LIBGUESTFS_MEMSIZE=lots"])
        self.assertEqual(cm.exception.errno, errno.EINVAL)
        self.assertIn("LIBGUESTFS_MEMSIZE", str(cm.exception))
        g.close()

    def test_close(self):
        g = guestfs.GuestFS()
        g.close()
        g.close()  # closing twice is fine
        with self.assertRaises(guestfs.ClosedHandle) as cm:
            g.get_verbose()
        self.assertIsInstance(cm.exception, ValueError)
        for f in (lambda: g.set_event_callback(lambda *a: None, guestfs.EVENT_ALL),
                  lambda: g.delete_event_callback(0),
                  lambda: g.internal_test_rint("1")):
            with self.assertRaises(guestfs.ClosedHandle):
                f()
        g.user_cancel()  # no-op on a closed handle

    def test_context_manager(self):
        with guestfs.GuestFS() as g:
            self.assertIs(g.get_verbose(), False)
        with self.assertRaises(guestfs.ClosedHandle):
            g.get_verbose()
        with self.assertRaises(KeyError):
            with guestfs.GuestFS() as g2:
                raise KeyError("x")
        with self.assertRaises(guestfs.ClosedHandle):
            g2.get_verbose()

    def test_handle_type_checked(self):
        with self.assertRaises(TypeError):
            guestfs.libguestfsmod.get_verbose(object())
        with self.assertRaises(TypeError):
            guestfs.libguestfsmod.Handle()


class TestGeneratedSurface(unittest.TestCase):
    """The generated methods, docstrings and type stub agree."""

    def test_stub_matches_module(self):
        stub = os.path.join(os.path.dirname(guestfs.__file__), "__init__.pyi")
        with open(stub) as f:
            tree = ast.parse(f.read())
        cls = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "GuestFS"][0]
        stub_methods = {f.name: [a.arg for a in f.args.args] for f in cls.body
                        if isinstance(f, ast.FunctionDef)}
        real = {name: list(inspect.signature(m).parameters)
                for name, m in inspect.getmembers(guestfs.GuestFS, inspect.isfunction)
                if not name.startswith("_") or name in ("__init__", "__enter__", "__exit__")}
        real = {k: ["self"] + v[1:] for k, v in real.items()}
        self.assertEqual(stub_methods, real)
        for n in tree.body:
            if isinstance(n, ast.AnnAssign):
                self.assertTrue(hasattr(guestfs, n.target.id), n.target.id)

    def test_docstrings(self):
        self.assertIn("internal test function", guestfs.GuestFS.internal_test.__doc__)
        self.assertIn("python_return_dict", guestfs.GuestFS.internal_test_rhashtable.__doc__)
        self.assertIn("verbose", guestfs.GuestFS.set_verbose.__doc__)

    def test_event_constants(self):
        self.assertEqual(guestfs.EVENT_CLOSE, 0x1)
        self.assertEqual(guestfs.EVENT_PROGRESS, 0x8)
        self.assertEqual(guestfs.EVENT_WARNING, 0x200)
        self.assertEqual(guestfs.EVENT_ALL, 0x3ff)
        self.assertEqual(guestfs.event_to_string(guestfs.EVENT_CLOSE | guestfs.EVENT_PROGRESS),
                         "close,progress")
        self.assertEqual(guestfs.event_to_string(guestfs.EVENT_ALL),
                         "appliance,close,enter,launch_done,library,libvirt_auth,"
                         "progress,subprocess_quit,trace,warning")
        self.assertEqual(guestfs.event_to_string(0), "")
        with self.assertRaises(TypeError):
            guestfs.event_to_string("close")
        with self.assertRaises(OverflowError):
            guestfs.event_to_string(-1)


if __name__ == "__main__":
    unittest.main()
