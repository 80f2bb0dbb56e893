# SPDX-License-Identifier: MIT
"""Pass/fail bookkeeping shared by the Python checkers in tests/integration/."""
import sys


class Tally:
    def __init__(self):
        self.passed = self.failed = 0

    def __call__(self, ok, what, detail=""):
        """Print "ok   what" or "FAIL what" with the detail; count it."""
        if ok:
            self.passed += 1
            print(f"ok   {what}")
        else:
            self.failed += 1
            print(f"FAIL {what}\n{detail}")

    def exit(self):
        """Print the totals and exit 1 if anything failed or nothing was checked."""
        print(f"{self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed or not self.passed else 0)
