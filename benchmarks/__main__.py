"""`python -m benchmarks [--size tiny] [--results PATH] [--profile]`: every benchmark, one by one.

Each runs in a process of its own (as `python -m benchmarks.<name>`), so that one's memory,
threads and event loop never colour the next one's figures.
"""

from __future__ import annotations

import subprocess
import sys

from benchmarks import BENCHMARKS


def main() -> int:
    failed = []
    for name in BENCHMARKS:
        print(f"\n== {name}", flush=True)
        completed = subprocess.run([sys.executable, "-m", f"benchmarks.{name}", *sys.argv[1:]], check=False)
        if completed.returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
