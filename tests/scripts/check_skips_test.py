#!/usr/bin/env python3
"""scripts/check-skips: an unexcused skip fails, an excused one passes, passes are ignored."""
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts",
                      "check-skips")

# What `ctest --output-junit` writes for a GTEST_SKIP under SKIP_REGULAR_EXPRESSION (CMake
# 3.25), for a passing test, and for a test that failed.
JUNIT = """<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="(empty)" tests="3" failures="1" disabled="0" skipped="1">
  <testcase name="Tiers/Sandbox.Hides/namespaces" classname="x" time="0.1" status="notrun">
    <skipped message="SKIP_REGULAR_EXPRESSION_MATCHED"/>
    <system-out>tests/x.cc:12: Skipped
the namespaces tier cannot run here: no user namespaces

[  SKIPPED ] Tiers/Sandbox.Hides/namespaces (3 ms)
</system-out>
  </testcase>
  <testcase name="Glob.Matches" classname="x" time="0.1" status="run"><system-out/></testcase>
  <testcase name="Glob.Fails" classname="x" time="0.1" status="fail">
    <failure message="Failed"/><system-out>[  FAILED  ] Glob.Fails</system-out>
  </testcase>
</testsuite>
"""


class CheckSkips(unittest.TestCase):
    def run_check(self, expected, env=None):
        with tempfile.TemporaryDirectory() as d:
            junit = os.path.join(d, "junit.xml")
            with open(junit, "w") as f:
                f.write(JUNIT)
            exp = os.path.join(d, "expected-skips")
            with open(exp, "w") as f:
                f.write(expected)
            full_env = dict(os.environ)
            full_env.pop("FANOUT_ALLOW_SKIPS", None)
            full_env.update(env or {})
            return subprocess.run([sys.executable, SCRIPT, junit, exp], capture_output=True,
                                  text=True, env=full_env)

    def test_an_unexpected_skip_fails_naming_the_test_and_its_reason(self):
        r = self.run_check("Other.*  # not this one\n")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("error: Tiers/Sandbox.Hides/namespaces skipped", r.stdout)
        self.assertIn("the namespaces tier cannot run here: no user namespaces", r.stdout)
        self.assertNotIn("Glob.Matches", r.stdout)
        self.assertNotIn("Glob.Fails", r.stdout)  # a failure is ctest's to report

    def test_a_skip_the_file_excuses_passes_and_says_why(self):
        r = self.run_check("# comment\n\nTiers/*/namespaces  # no namespaces on kind X\n")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("as expected here (no namespaces on kind X)", r.stdout)

    def test_allow_skips_reports_but_passes(self):
        r = self.run_check("", env={"FANOUT_ALLOW_SKIPS": "1"})
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("error: Tiers/Sandbox.Hides/namespaces skipped", r.stdout)
        self.assertIn("allowed (FANOUT_ALLOW_SKIPS=1)", r.stdout)

    def test_a_pattern_without_a_reason_is_refused_at_its_line(self):
        r = self.run_check("# c\nTiers/*\n")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("expected-skips:2:1: error: 'Tiers/*' has no '# reason'", r.stderr)

    def test_the_repository_file_parses(self):
        repo_file = os.path.join(os.path.dirname(SCRIPT), "..", "tests", "expected-skips")
        with open(repo_file) as f:
            r = self.run_check(f.read())
        self.assertIn(r.returncode, (0, 1), r.stderr)
        self.assertEqual(r.stderr, "")


if __name__ == "__main__":
    unittest.main()
