"""Plot helpers shared by the docs tutorials: run one check at its quick size and show its verdicts and figure."""
from __future__ import annotations

from pathlib import Path
from tempfile import mkdtemp

from . import CHECKS
from ._common import SerialExecutor


def demo(name: str, *, seed: int = 0):
    """Run claim ``name`` at its QUICK size, print its claim rows, and show its figure (for sphinx-gallery)."""
    import matplotlib.image as mpimg
    import matplotlib.pyplot as plt

    check = CHECKS[name]
    result = check.run(check.QUICK, seed=seed, executor=SerialExecutor())
    rows = check.claims(result)
    for row in rows:
        print(f"{row.id}: {row.verdict}\n  predicted: {row.predicted}\n  measured:  {row.measured}\n  {row.ci}")
    out = Path(mkdtemp())
    (path,) = check.plot(result, out)
    fig = plt.figure(figsize=(12, 4))
    plt.imshow(mpimg.imread(path))
    plt.axis("off")
    return rows, fig
