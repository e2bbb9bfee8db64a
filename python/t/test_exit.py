"""Interpreter exit, garbage collection and fork, each in a subprocess."""

import unittest

from helpers import run_script


class TestExit(unittest.TestCase):
    def check(self, code, stdout, returncode=0, timeout=120):
        p = run_script(code, timeout=timeout)
        self.assertEqual(p.returncode, returncode, p.stderr)
        self.assertEqual(p.stdout, stdout)
        self.assertNotIn("Fatal", p.stderr)
        self.assertNotIn("Traceback", p.stderr)
        return p

    def test_exit_without_close(self):
        self.check("""
            import guestfs
            g = guestfs.GuestFS()
            g.set_event_callback(lambda *a: print("CLOSE", flush=True), guestfs.EVENT_CLOSE)
            print("end of script", flush=True)
        """, "end of script\nCLOSE\n")

    def test_close_on_exit_false(self):
        self.check("""
            import guestfs
            g = guestfs.GuestFS(close_on_exit=False)
            g.set_event_callback(lambda *a: print("CLOSE", flush=True), guestfs.EVENT_CLOSE)
            print("end", flush=True)
        """, "end\n")

    def test_reference_cycle_at_exit(self):
        self.check("""
            import guestfs
            def make():
                g = guestfs.GuestFS()
                def cb(ev, eh, buf, array):
                    print("CLOSE", g.__class__.__name__, flush=True)
                g.set_event_callback(cb, guestfs.EVENT_CLOSE)
                g.self_ref = g
            make()
        """, "CLOSE GuestFS\n")

    def test_fifty_handles_at_exit(self):
        want = "".join("CLOSE %d\n" % i for i in reversed(range(50)))
        self.check("""
            import guestfs
            hs = []
            for i in range(50):
                g = guestfs.GuestFS()
                g.set_event_callback(lambda *a, i=i: print("CLOSE", i, flush=True),
                                     guestfs.EVENT_CLOSE)
                hs.append(g)
        """, want)

    def test_close_inside_close_callback_at_exit(self):
        self.check("""
            import guestfs
            g = guestfs.GuestFS()
            def cb(*a):
                print("CLOSE", flush=True)
                g.close()
                g.close()
            g.set_event_callback(cb, guestfs.EVENT_CLOSE)
        """, "CLOSE\n")

    def test_delete_inside_callback_at_exit(self):
        self.check("""
            import guestfs
            g = guestfs.GuestFS()
            def cb(ev, eh, buf, array):
                print("CALLBACK", guestfs.event_to_string(ev), flush=True)
                g.delete_event_callback(eh)
            g.set_event_callback(cb, guestfs.EVENT_CLOSE | guestfs.EVENT_ENTER)
            g.get_verbose()
        """, "CALLBACK enter\n")

    def test_raising_close_callback_at_exit(self):
        p = run_script("""
            import guestfs
            g = guestfs.GuestFS()
            def cb(*a):
                print("CLOSE", flush=True)
                raise RuntimeError("raised in close callback")
            g.set_event_callback(cb, guestfs.EVENT_CLOSE)
        """)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "CLOSE\n")
        self.assertIn("raised in close callback", p.stderr)

    def test_sys_exit_in_close_callback_at_exit(self):
        p = run_script("""
            import guestfs, sys
            g = guestfs.GuestFS()
            h = guestfs.GuestFS()
            def cb(*a):
                print("CLOSE", flush=True)
                sys.exit(5)
            g.set_event_callback(cb, guestfs.EVENT_CLOSE)
            h.set_event_callback(lambda *a: print("CLOSE h", flush=True), guestfs.EVENT_CLOSE)
        """)
        # Both handles are closed; the SystemExit cannot unwind atexit.
        self.assertEqual(p.stdout, "CLOSE h\nCLOSE\n")
        self.assertNotIn("Fatal", p.stderr)

    def test_captured_handle_collected(self):
        self.check("""
            import gc, guestfs
            def make():
                g = guestfs.GuestFS()
                g.set_event_callback(lambda *a: print("CLOSE", g is not None, flush=True),
                                     guestfs.EVENT_CLOSE)
            make()
            print("dropped", flush=True)
            gc.collect()
            print("collected", flush=True)
        """, "dropped\nCLOSE True\ncollected\n")

    def test_gc_disabled_at_exit(self):
        self.check("""
            import gc, guestfs
            gc.disable()
            def make():
                g = guestfs.GuestFS()
                g.set_event_callback(lambda *a: print("CLOSE", flush=True), guestfs.EVENT_CLOSE)
            make()
        """, "CLOSE\n")

    def test_fork_child(self):
        p = self.check("""
            import guestfs, os, gc, errno
            g = guestfs.GuestFS()
            g.set_event_callback(lambda *a: print("CLOSE in", os.getpid() == parent, flush=True),
                                 guestfs.EVENT_CLOSE)
            parent = os.getpid()
            g.set_trace(0)
            pid = os.fork()
            if pid == 0:
                try:
                    g.get_verbose()
                    print("child: no error", flush=True)
                except guestfs.Error as e:
                    # The library's message, once: it names the fix.
                    print("child error", e.errno == errno.ECHILD,
                          "spawn" in str(e), "forkserver" in str(e),
                          str(e).count("set_start_method"), str(e).count("fork()"), flush=True)
                try:
                    g.set_event_callback(lambda *a: None, guestfs.EVENT_ALL)
                except guestfs.Error as e:
                    print("child set_event_callback error", e.errno == errno.ECHILD, flush=True)
                try:
                    guestfs.GuestFS()
                except guestfs.Error as e:
                    print("child create error", e.errno == errno.ECHILD, "spawn" in str(e),
                          str(e).count("set_start_method"), flush=True)
                g.close()
                g.close()
                os._exit(0)
            _, status = os.waitpid(pid, 0)
            print("child status", status, flush=True)
            print("parent", g.internal_test_rint("8"), flush=True)
        """, "child error True True True 1 1\n"
             "child set_event_callback error True\n"
             "child create error True True 1\n"
             "child status 0\n"
             "parent 8\n"
             "CLOSE in True\n")

    def test_fork_child_exit_and_gc(self):
        """The child leaves through atexit and GC with the inherited handle
        open: its close is a silent no-op and the parent's handle works."""
        self.check("""
            import guestfs, os, sys
            g = guestfs.GuestFS()
            parent = os.getpid()
            g.set_event_callback(lambda *a: print("CLOSE parent" if os.getpid() == parent
                                                  else "CLOSE child", flush=True),
                                 guestfs.EVENT_CLOSE)
            g2 = guestfs.GuestFS()
            pid = os.fork()
            if pid == 0:
                del g2           # refcount drop closes it: no-op in the child
                sys.exit(0)      # atexit closes g: no-op in the child
            _, status = os.waitpid(pid, 0)
            print("child status", status, flush=True)
            print("parent", g.internal_test_rstring("still works"), g2.get_verbose(), flush=True)
        """, "child status 0\nparent still works False\nCLOSE parent\n")

    def test_multiprocessing_fork_message(self):
        p = run_script("""
            import guestfs, multiprocessing
            g = guestfs.GuestFS()
            def work(q):
                try:
                    g.get_verbose()
                    q.put("no error")
                except guestfs.Error as e:
                    q.put(str(e))
            ctx = multiprocessing.get_context("fork")
            q = ctx.Queue()
            pr = ctx.Process(target=work, args=(q,))
            pr.start()
            print(q.get(timeout=60))
            pr.join(60)
            print("exitcode", pr.exitcode)
        """)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('multiprocessing.set_start_method("spawn")', p.stdout)
        self.assertEqual(p.stdout.count("set_start_method"), 1, p.stdout)  # said once
        self.assertIn("exitcode 0", p.stdout)

    def test_call_running_on_other_thread_at_exit(self):
        """A call still running on a daemon thread is cancelled, not waited
        for; the other handles are closed; nothing crashes."""
        self.check("""
            import guestfs, threading
            g = guestfs.GuestFS()
            h = guestfs.GuestFS()
            h.set_event_callback(lambda *a: print("CLOSE h", flush=True), guestfs.EVENT_CLOSE)
            inside = threading.Event()
            def cb(ev, eh, buf, array):
                if buf == b"internal_test_rint":
                    inside.set()
                    threading.Event().wait()      # blocks forever
            g.set_event_callback(cb, guestfs.EVENT_ENTER)
            t = threading.Thread(target=lambda: g.internal_test_rint("1"), daemon=True)
            t.start()
            inside.wait(30)
            print("exiting", flush=True)
        """, "exiting\nCLOSE h\n")

    def test_callbacks_from_other_thread_during_exit(self):
        """Threads making calls with callbacks while the interpreter exits:
        their calls are cancelled, their handles closed with CLOSE callbacks
        run, and no callback enters the interpreter after that."""
        code = """
            import guestfs, threading, time
            g = guestfs.GuestFS()
            def cb(*a):
                sum(range(1000))
            g.set_event_callback(cb, guestfs.EVENT_ENTER | guestfs.EVENT_TRACE)
            g.set_trace(1)
            h = guestfs.GuestFS()
            h.set_event_callback(lambda *a: print("CLOSE h", flush=True), guestfs.EVENT_CLOSE)
            def loop(gg):
                while True:
                    try:
                        gg.internal_test_rint("1")
                    except guestfs.ClosedHandle:
                        return
            for gg in (g, g, g, h):
                threading.Thread(target=loop, args=(gg,), daemon=True).start()
            time.sleep(0.05)
            print("exiting", flush=True)
        """
        for _ in range(5):
            self.check(code, "exiting\nCLOSE h\n")


if __name__ == "__main__":
    unittest.main()
