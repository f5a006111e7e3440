"""Benchmarks of sibot against the emulator over real HTTP on loopback.

Run all of them with `python -m benchmarks`, or one with `python -m benchmarks.<name>`; each prints
a table and merges its figures, with the machine they came from, into benchmarks/results.json.
Every benchmark measures its baseline in the same run, so its results are ratios.
"""

# In the order `python -m benchmarks` runs them.
BENCHMARKS = ("placement", "fanout", "restart", "holds", "throughput", "fairness", "locks", "pace")
