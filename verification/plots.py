"""Helpers shared by the docs tutorials: show a claim judged at its default size from the committed result
(:func:`judged`, seconds), or recompute it at its quick size (:func:`demo`, minutes)."""
from __future__ import annotations

from pathlib import Path

from . import CHECKS
from ._common import SerialExecutor, evaluate, load_json
from .report import controls_cell

#: Where ``make figures`` writes the default-size results that :func:`judged` reads (the repository's docs/figures).
FIGURES = Path(__file__).resolve().parent.parent / "docs" / "figures"


def _show(check, result: dict):
    rows = evaluate(check, result)
    for row in rows:
        print(f"{row.id}: {row.verdict}\n  predicted: {row.predicted}\n  measured:  {row.measured}\n  {row.ci}\n"
              f"  controls (must fail): {controls_cell(row.controls)}")
    return rows, check.plot(result)


def judged(name: str, *, figures: Path | str = FIGURES):
    """Claim ``name`` judged on its **default-size** result as ``make figures`` saved it (``figures/NAME.json``; no
    computation): print its claim rows -- verdict, prediction, measurement, interval, controls -- and return them with
    the check's figure drawn from the result. The same rows as the claim report's, by the same code
    (:func:`verification._common.evaluate`)."""
    if name not in CHECKS:
        raise ValueError(f"unknown claim {name!r}; one of {', '.join(sorted(CHECKS))}")
    path = Path(figures) / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no saved result for {name!r} -- run `python -m verification {name}` (or "
                                "`make figures`) in a clone of the repository first")
    return _show(CHECKS[name], load_json(path)["result"])


def demo(name: str, *, seed: int = 0):
    """Run claim ``name`` at its QUICK size, print its claim rows, and return them with its figure (drawn from the
    result, for sphinx-gallery)."""
    check = CHECKS[name]
    return _show(check, check.run(check.QUICK, seed=seed, executor=SerialExecutor()))
