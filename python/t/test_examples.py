"""The examples under examples/python run and print what they promise."""

import os
import unittest

from helpers import TOP, run_script


class TestExamples(unittest.TestCase):
    def test_events_example(self):
        path = os.path.join(TOP, "examples", "python", "events.py")
        with open(path) as f:
            code = f.read()
        p = run_script(code)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("string list: ['0', '1', '2']\n", p.stdout)
        self.assertIn("hash table: {'0': '0', '1': '1'}\n", p.stdout)
        self.assertIn("trace: internal_test_rstringlist \"3\"\n", p.stdout)
        self.assertIn("error as expected: internal_test_rinterr", p.stdout)
        self.assertTrue(p.stdout.endswith("handle closed (close)\n"), p.stdout)
        self.assertEqual(p.stderr, "")


if __name__ == "__main__":
    unittest.main()
