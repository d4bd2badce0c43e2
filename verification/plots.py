"""Plot helpers shared by the docs tutorials: run one check at its quick size and show its verdicts and figure."""
from __future__ import annotations

from . import CHECKS
from ._common import SerialExecutor, evaluate
from .report import controls_cell


def demo(name: str, *, seed: int = 0):
    """Run claim ``name`` at its QUICK size, print its claim rows, and return them with its figure (drawn from the
    result, for sphinx-gallery)."""
    check = CHECKS[name]
    result = check.run(check.QUICK, seed=seed, executor=SerialExecutor())
    rows = evaluate(check, result)
    for row in rows:
        print(f"{row.id}: {row.verdict}\n  predicted: {row.predicted}\n  measured:  {row.measured}\n  {row.ci}\n"
              f"  controls (must fail): {controls_cell(row.controls)}")
    return rows, check.plot(result)
