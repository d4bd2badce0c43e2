"""The claim report: ``report.json`` (a list of claims) and ``report.md`` (a table)."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from collections.abc import Sequence

from ._common import VERDICTS, ClaimRow, save_json


def controls_cell(row: ClaimRow) -> str:
    return ", ".join(f"{name}: {verdict}" for name, verdict in row.controls)

FIELDS = ("id", "source", "statement", "predicted", "measured", "ci", "verdict", "controls")


def write(rows: Sequence[ClaimRow], out_dir: Path) -> tuple[Path, Path]:
    out_dir = Path(out_dir)
    js = out_dir / "report.json"
    save_json(js, [{k: dataclasses.asdict(r)[k] for k in FIELDS} for r in rows])
    md = out_dir / "report.md"
    lines = ["| claim | source | predicted | measured | CI | verdict | controls (must fail) |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        cells = [r.id, r.source, r.predicted, r.measured, r.ci, f"**{r.verdict}**", controls_cell(r)]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    counts = {v: sum(r.verdict == v for r in rows) for v in VERDICTS}
    lines.append("")
    lines.append(", ".join(f"{n} {v}" for v, n in counts.items()))
    md.write_text("\n".join(lines) + "\n")
    return js, md
