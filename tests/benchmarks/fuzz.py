"""``make bench`` fuzzing: thousands of malformed inputs through every reader, bounded in time.

The same strategies and rule as ``tests/fuzz`` (see ``tests/fuzz/malformed.py``), with a random seed per
run and no shrinking: a failure is counted and its first message kept, not raised, so that the run
always reports how many inputs were tried.

    python -m tests.benchmarks.fuzz            # prints the figures as JSON
"""

from __future__ import annotations

import json
import tempfile
import time
import warnings
from pathlib import Path

#: Seconds for the whole run, shared between the readers.
BUDGET_S = 60.0
#: Upper bound of inputs per reader; the time budget usually stops first.
MAX_PER_READER = 5_000


class _OutOfTime(Exception):
    """Ends hypothesis' run for a reader once its share of the budget is spent."""


def bench_fuzz(work: Path, results: dict, budget_s: float = BUDGET_S) -> dict:
    """Adds ``fuzz_inputs`` (malformed inputs tried), ``fuzz_failures`` (inputs that broke the rule),
    ``fuzz_refused``/``fuzz_read``, ``fuzz_inputs_per_s`` and ``fuzz_failure_examples``."""
    from hypothesis import HealthCheck, Phase, given, settings

    from tests.fuzz import malformed as m

    tried: dict[str, int] = {}
    outcomes = {"read": 0, "refused": 0}
    failures: list[str] = []
    share = budget_s / len(m.READERS)
    start = time.perf_counter()

    def runner(name: str, stop: float):
        @settings(
            max_examples=MAX_PER_READER,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(m.plans(name, wide=False))
        def run(plan):
            if time.perf_counter() > stop:
                raise _OutOfTime
            with tempfile.TemporaryDirectory(dir=work) as tmp:
                path = m.build(plan, Path(tmp))
                tried[name] += 1
                try:
                    outcomes[m.attempt(name, path)] += 1
                except Exception as error:  # counted and reported, never raised
                    failures.append(f"{name} {plan.form}{plan.suffix}: {type(error).__name__}: {str(error)[:200]}")

        return run

    for name in m.READERS:
        tried[name] = 0
        run = runner(name, time.perf_counter() + share)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                run()
            except _OutOfTime:
                pass
    elapsed = time.perf_counter() - start
    total = sum(tried.values())
    results.update(
        fuzz_inputs=total,
        fuzz_inputs_by_reader=tried,
        fuzz_read=outcomes["read"],
        fuzz_refused=outcomes["refused"],
        fuzz_failures=len(failures),
        fuzz_failure_examples=failures[:5],
        fuzz_seconds=round(elapsed, 1),
        fuzz_inputs_per_s=round(total / elapsed, 1) if elapsed else 0.0,
    )
    return results


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="dispersal-fuzz-") as folder:
        print(json.dumps(bench_fuzz(Path(folder), {}), indent=2, sort_keys=True))
