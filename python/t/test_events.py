"""Event callbacks: delivery, ownership, deletion, exceptions, close from a
callback, the cycle collector, reference counts and threads."""

import gc
import os
import signal
import sys
import threading
import time
import tracemalloc
import unittest
import weakref

import guestfs

from helpers import UNDER_VALGRIND, run_script


class TestEvents(unittest.TestCase):
    def setUp(self):
        self.g = guestfs.GuestFS(environment=False)

    def tearDown(self):
        self.g.close()

    def test_close_event_once(self):
        calls = []
        self.g.set_event_callback(lambda *a: calls.append(a), guestfs.EVENT_CLOSE)
        self.assertEqual(calls, [])
        self.g.close()
        self.g.close()
        self.assertEqual(len(calls), 1)
        ev, eh, buf, array = calls[0]
        self.assertEqual(ev, guestfs.EVENT_CLOSE)
        self.assertIsInstance(buf, bytes)
        self.assertEqual(array, [])

    def test_trace_and_enter(self):
        seen = []
        eh = self.g.set_event_callback(lambda ev, eh, buf, a: seen.append((ev, eh, buf)),
                                       guestfs.EVENT_TRACE | guestfs.EVENT_ENTER)
        self.g.set_trace(1)
        seen.clear()
        self.assertEqual(self.g.internal_test_rint("42"), 42)
        self.assertIn((guestfs.EVENT_ENTER, eh, b"internal_test_rint"), seen)
        traces = [b for ev, _, b in seen if ev == guestfs.EVENT_TRACE]
        self.assertEqual(len(traces), 2)
        self.assertTrue(traces[0].startswith(b"internal_test_rint"))
        self.assertIn(b"42", traces[1])

    def test_library_events(self):
        seen = []
        self.g.set_event_callback(lambda ev, eh, buf, a: seen.append(buf), guestfs.EVENT_LIBRARY)
        self.g.set_verbose(True)
        self.g.close()
        self.assertTrue(seen)
        self.assertTrue(all(isinstance(b, bytes) for b in seen))

    def test_event_handles_and_private_keys(self):
        g = self.g
        keys = lambda: sorted(guestfs.libguestfsmod._private_keys(g._o))
        e1 = g.set_event_callback(lambda *a: None, guestfs.EVENT_CLOSE)
        e2 = g.set_event_callback(lambda *a: None, guestfs.EVENT_TRACE)
        self.assertNotEqual(e1, e2)
        self.assertEqual(keys(), sorted(["_python_event_%d" % e1, "_python_event_%d" % e2]))
        g.delete_event_callback(e1)
        self.assertEqual(keys(), ["_python_event_%d" % e2])
        g.delete_event_callback(e1)        # unknown: ignored
        g.delete_event_callback(12345)
        e3 = g.set_event_callback(lambda *a: None, guestfs.EVENT_TRACE)
        self.assertNotIn(e3, (e1, e2))     # never reused

    def test_bad_arguments(self):
        with self.assertRaises(TypeError):
            self.g.set_event_callback(None, guestfs.EVENT_ALL)
        with self.assertRaises(TypeError):
            self.g.set_event_callback(42, guestfs.EVENT_ALL)
        with self.assertRaises(TypeError):
            self.g.set_event_callback(lambda *a: None, "all")
        with self.assertRaises(OverflowError):
            self.g.set_event_callback(lambda *a: None, -1)
        with self.assertRaises(TypeError):
            self.g.delete_event_callback("x")

    def test_registration_order(self):
        order = []
        for i in range(5):
            self.g.set_event_callback(lambda ev, eh, b, a, i=i: order.append(i), guestfs.EVENT_ENTER)
        self.g.get_verbose()
        self.assertEqual(order, [0, 1, 2, 3, 4])

    def test_delete_inside_callback(self):
        g = self.g
        calls = []

        def cb(ev, eh, buf, array):
            calls.append(eh)
            g.delete_event_callback(eh)

        eh = g.set_event_callback(cb, guestfs.EVENT_ENTER)
        ref = sys.getrefcount(cb)
        g.get_verbose()
        g.get_verbose()
        self.assertEqual(calls, [eh])
        self.assertEqual(sys.getrefcount(cb), ref - 1)

    def test_delete_other_in_same_round(self):
        g = self.g
        calls = []
        ehs = []
        ehs.append(g.set_event_callback(lambda *a: (calls.append("a"), g.delete_event_callback(ehs[1])),
                                        guestfs.EVENT_ENTER))
        ehs.append(g.set_event_callback(lambda *a: calls.append("b"), guestfs.EVENT_ENTER))
        g.get_verbose()
        self.assertEqual(calls, ["a"])

    def test_register_inside_callback(self):
        g = self.g
        calls = []

        def first(*a):
            calls.append("first")
            if len(calls) == 1:
                g.set_event_callback(lambda *a: calls.append("new"), guestfs.EVENT_ENTER)

        g.set_event_callback(first, guestfs.EVENT_ENTER)
        g.get_verbose()
        self.assertEqual(calls, ["first"])
        g.get_verbose()
        self.assertEqual(calls, ["first", "first", "new"])

    def test_calls_inside_callback(self):
        g = self.g
        results = []

        def cb(ev, eh, buf, array):
            if buf == b"internal_test_rint":
                results.append(g.internal_test_rstring("nested"))
                results.append(g.is_busy())

        g.set_event_callback(cb, guestfs.EVENT_ENTER)
        self.assertEqual(g.internal_test_rint("3"), 3)
        self.assertEqual(results, ["nested", True])

    def test_close_inside_callback(self):
        g = self.g
        closes = []
        g.set_event_callback(lambda *a: closes.append(1), guestfs.EVENT_CLOSE)

        def cb(ev, eh, buf, array):
            g.close()
            # Closing is deferred, but the handle is already closed for Python.
            with self.assertRaises(guestfs.ClosedHandle):
                g.get_verbose()
            self.assertEqual(closes, [])

        g.set_event_callback(cb, guestfs.EVENT_ENTER)
        # The outer call's result is still returned; then the handle closes.
        self.assertEqual(g.internal_test_rstringlist("2"), ["0", "1"])
        self.assertEqual(closes, [1])
        with self.assertRaises(guestfs.ClosedHandle):
            g.get_verbose()

    def test_close_inside_failing_call(self):
        g = self.g
        g.set_event_callback(lambda *a: g.close(), guestfs.EVENT_ENTER)
        with self.assertRaises(guestfs.Error) as cm:
            g.internal_test_rstringerr()
        self.assertIn("internal_test_rstringerr", str(cm.exception))
        with self.assertRaises(guestfs.ClosedHandle):
            g.get_verbose()

    def test_close_inside_close_callback(self):
        g = self.g
        calls = []

        def cb(*a):
            calls.append(1)
            g.close()
            with self.assertRaises(guestfs.ClosedHandle):
                g.get_trace()

        g.set_event_callback(cb, guestfs.EVENT_CLOSE)
        g.close()
        self.assertEqual(calls, [1])

    def test_raising_callback(self):
        code = """
            import guestfs
            g = guestfs.GuestFS()
            def cb(ev, eh, buf, array):
                raise ValueError("boom from callback")
            g.set_event_callback(cb, guestfs.EVENT_ENTER)
            print("result", g.internal_test_rint("7"))
            g.close()
            print("done")
        """
        p = run_script(code)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "result 7\ndone\n")
        self.assertIn("Traceback", p.stderr)
        self.assertIn("ValueError: boom from callback", p.stderr)

    def test_keyboard_interrupt_in_callback(self):
        g = self.g
        after = []

        def cb(ev, eh, buf, array):
            if buf == b"internal_test_rint":
                raise KeyboardInterrupt
        g.set_event_callback(cb, guestfs.EVENT_ENTER)
        g.set_event_callback(lambda *a: after.append(1), guestfs.EVENT_ENTER)
        with self.assertRaises(KeyboardInterrupt):
            g.internal_test_rint("1")
        self.assertEqual(after, [1])  # the dispatch went on
        # The handle stays usable.
        self.assertEqual(g.internal_test_rint64("5"), 5)

    def test_sigint_during_call(self):
        """SIGINT during a call: the library call is cancelled through the
        binding's handler, which chains to Python's (KeyboardInterrupt)."""
        g = self.g
        sent = []

        def cb(ev, eh, buf, array):
            if buf == b"internal_test_rstring" and not sent:
                sent.append(1)
                os.kill(os.getpid(), signal.SIGINT)
                # Delivery may lag (valgrind): KeyboardInterrupt is raised
                # in this loop at the latest.
                for _ in range(2000):
                    time.sleep(0.01)
        g.set_event_callback(cb, guestfs.EVENT_ENTER)
        with self.assertRaises(KeyboardInterrupt):
            g.internal_test_rstring("x")
        self.assertEqual(g.internal_test_rstring("y"), "y")

    @unittest.skipUnless(sys.platform.startswith("linux") and
                         os.uname().machine in ("x86_64", "aarch64"), "glibc sigaction layout")
    def test_sigint_handler_installed(self):
        """The binding's SIGINT handler (SA_ONSTACK, SA_SIGINFO) replaced
        Python's at import; Python's handler still runs (chained)."""
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        buf = ctypes.create_string_buffer(256)  # struct sigaction
        self.assertEqual(libc.sigaction(signal.SIGINT, None, buf), 0)
        flags = int.from_bytes(buf.raw[136:140], sys.byteorder)
        SA_SIGINFO, SA_ONSTACK = 0x4, 0x08000000
        self.assertEqual(flags & (SA_SIGINFO | SA_ONSTACK), SA_SIGINFO | SA_ONSTACK)
        self.assertIs(signal.getsignal(signal.SIGINT), signal.default_int_handler)

    def test_system_exit_in_callback(self):
        code = """
            import guestfs, sys
            g = guestfs.GuestFS()
            closes = []
            g.set_event_callback(lambda *a: print("CLOSE", flush=True), guestfs.EVENT_CLOSE)
            def cb(ev, eh, buf, array):
                print("in callback", flush=True)
                sys.exit(3)
            g.set_event_callback(cb, guestfs.EVENT_ENTER)
            try:
                g.get_verbose()
            finally:
                print("call returned", flush=True)
            print("not reached")
        """
        p = run_script(code)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertEqual(p.stdout, "in callback\ncall returned\nCLOSE\n")
        self.assertNotIn("Traceback", p.stderr)


class TestOwnership(unittest.TestCase):
    def test_refcounts_register_delete(self):
        g = guestfs.GuestFS(environment=False)

        def cb(*a):
            pass

        base = sys.getrefcount(cb)
        eh = g.set_event_callback(cb, guestfs.EVENT_ALL)
        self.assertEqual(sys.getrefcount(cb), base + 1)   # owned by the private data
        g.delete_event_callback(eh)
        self.assertEqual(sys.getrefcount(cb), base)
        g.set_event_callback(cb, guestfs.EVENT_ALL)
        g.set_event_callback(cb, guestfs.EVENT_CLOSE)
        self.assertEqual(sys.getrefcount(cb), base + 2)
        g.close()
        self.assertEqual(sys.getrefcount(cb), base)

    def test_many_cycles_flat(self):
        n = 2000 if UNDER_VALGRIND else 100000
        g = guestfs.GuestFS(environment=False)

        def cb(*a):
            pass

        base = sys.getrefcount(cb)
        for _ in range(1000):
            g.delete_event_callback(g.set_event_callback(cb, guestfs.EVENT_ALL))
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(n):
            g.delete_event_callback(g.set_event_callback(cb, guestfs.EVENT_ALL))
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        self.assertEqual(sys.getrefcount(cb), base)
        self.assertLess(after - before, 64 * 1024)
        self.assertEqual(guestfs.libguestfsmod._private_keys(g._o), [])
        g.close()

    def test_gc_handle_without_close(self):
        closes = []
        g = guestfs.GuestFS(environment=False)
        cb = lambda *a: closes.append(1)
        g.set_event_callback(cb, guestfs.EVENT_CLOSE)
        base = sys.getrefcount(cb)
        del g
        self.assertEqual(closes, [1])
        self.assertEqual(sys.getrefcount(cb), base - 1)

    def test_cycle_collected_close_fires(self):
        closes = []

        def make():
            g = guestfs.GuestFS(environment=False)

            def cb(ev, eh, buf, array):
                # Captures its own handle: a reference cycle through the
                # C handle's callback table.
                closes.append(g.__class__.__name__)
            g.set_event_callback(cb, guestfs.EVENT_CLOSE)
            return weakref.ref(g), weakref.ref(cb)

        wg, wcb = make()
        self.assertIsNotNone(wg())  # kept alive by the cycle
        gc.collect()
        self.assertIsNone(wg())
        self.assertIsNone(wcb())
        self.assertEqual(closes, ["GuestFS"])

    def test_callback_keeps_itself_alive_while_running(self):
        g = guestfs.GuestFS(environment=False)
        state = {}

        class Callback:
            def __call__(self, ev, eh, buf, array):
                g.delete_event_callback(eh)
                # The private-data reference is gone; this invocation's own
                # reference keeps the callable alive.
                state["refs"] = sys.getrefcount(self)
                state["calls"] = state.get("calls", 0) + 1

        cb = Callback()
        g.set_event_callback(cb, guestfs.EVENT_ENTER)
        wcb = weakref.ref(cb)
        del cb
        g.get_verbose()
        g.get_verbose()
        self.assertIsNone(wcb())
        self.assertEqual(state["calls"], 1)
        self.assertGreaterEqual(state["refs"], 2)
        g.close()


class TestThreads(unittest.TestCase):
    def test_two_handles_two_threads(self):
        errors = []
        inside = [threading.Event(), threading.Event()]

        def worker(i):
            try:
                g = guestfs.GuestFS(environment=False)

                def cb(ev, eh, buf, array):
                    if buf == b"internal_test_rstring":
                        inside[i].set()
                        # Both calls are in flight at once.
                        if not inside[1 - i].wait(30):
                            errors.append("other call never started")
                g.set_event_callback(cb, guestfs.EVENT_ENTER)
                for k in range(200):
                    if g.internal_test_rstring(str(k)) != str(k):
                        errors.append("bad result")
                g.close()
            except Exception as e:
                errors.append(repr(e))

        ts = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(120)
        self.assertFalse(any(t.is_alive() for t in ts))
        self.assertEqual(errors, [])

    def test_shared_handle_no_deadlock(self):
        """Thread A holds the handle lock inside a callback that waits for
        the GIL while thread B waits for the lock: B must not hold the GIL."""
        code = """
            import guestfs, threading, sys
            g = guestfs.GuestFS()
            a_inside = threading.Event()
            go = threading.Event()
            counts = {"cb": 0}
            def cb(ev, eh, buf, array):
                counts["cb"] += 1
                if buf == b"internal_test_rint" and not a_inside.is_set():
                    a_inside.set()
                    go.wait(30)
            g.set_event_callback(cb, guestfs.EVENT_ENTER | guestfs.EVENT_TRACE)
            res = {}
            def a():
                res["a"] = g.internal_test_rint("1")
            def b():
                a_inside.wait(30)
                res["b"] = g.internal_test_rstring("b")
            ta = threading.Thread(target=a); tb = threading.Thread(target=b)
            ta.start(); tb.start()
            a_inside.wait(30)
            # b is now (or soon) blocked on the handle lock with the GIL released.
            threading.Event().wait(0.2)
            go.set()
            ta.join(60); tb.join(60)
            print(ta.is_alive(), tb.is_alive(), res.get("a"), res.get("b"))
            # Hammer the handle from several threads with callbacks registered.
            def hammer(k):
                for i in range(300):
                    assert g.internal_test_rstring(str(k * 1000 + i)) == str(k * 1000 + i)
                    eh = g.set_event_callback(lambda *a: None, guestfs.EVENT_ENTER)
                    g.delete_event_callback(eh)
            ts = [threading.Thread(target=hammer, args=(k,)) for k in range(4)]
            [t.start() for t in ts]; [t.join(120) for t in ts]
            print(any(t.is_alive() for t in ts))
            g.close()
            print("ok")
        """
        p = run_script(code, timeout=180)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "False False 1 b\nFalse\nok\n")

    def test_close_from_other_thread_waits(self):
        g = guestfs.GuestFS(environment=False)
        inside = threading.Event()
        release = threading.Event()
        closes = []
        res = {}

        def cb(ev, eh, buf, array):
            if ev == guestfs.EVENT_CLOSE:
                closes.append(1)
            elif buf == b"internal_test_rint":
                inside.set()
                release.wait(30)
        g.set_event_callback(cb, guestfs.EVENT_ENTER | guestfs.EVENT_CLOSE)

        def worker():
            res["r"] = g.internal_test_rint("9")
        t = threading.Thread(target=worker)
        t.start()
        self.assertTrue(inside.wait(30))
        closer = threading.Thread(target=g.close)
        closer.start()
        closer.join(0.2)
        self.assertTrue(closer.is_alive())  # waits for the running call
        release.set()
        closer.join(30)
        t.join(30)
        self.assertEqual(res, {"r": 9})
        self.assertEqual(closes, [1])
        with self.assertRaises(guestfs.ClosedHandle):
            g.get_verbose()


if __name__ == "__main__":
    unittest.main()
