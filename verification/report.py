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


BEGIN, END = "<!-- claims:begin (python -m verification.report) -->", "<!-- claims:end -->"


def readme_table(report: list[dict]) -> str:
    """The README's short claim table from ``report.json``: claim, measured, verdict, controls' verdicts."""
    lines = ["| claim | measured | verdict | controls (must fail) |", "|---|---|---|---|"]
    for r in report:
        measured = r["measured"] if len(r["measured"]) <= 160 else r["measured"][:157] + "..."
        ctl = ", ".join(f"{n}: {v}" for n, v in r["controls"])
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in (r["id"], measured, f"**{r['verdict']}**", ctl))
                     + " |")
    counts = {v: sum(r["verdict"] == v for r in report) for v in VERDICTS}
    return "\n".join(lines) + "\n\n" + ", ".join(f"{n} {v}" for v, n in counts.items()) + "\n"


def update_readme(readme: Path, report_json: Path) -> None:
    """Replace the table between the claim markers of ``readme`` by :func:`readme_table` of ``report_json``."""
    import json
    text = Path(readme).read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{readme} has no claim markers ({BEGIN} ... {END})")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    table = readme_table(json.loads(Path(report_json).read_text()))
    Path(readme).write_text(head + BEGIN + "\n" + table + END + tail)


if __name__ == "__main__":   # python -m verification.report [README.md] [docs/figures/report.json]
    import sys
    args = sys.argv[1:] + ["README.md", "docs/figures/report.json"][len(sys.argv[1:]):]
    update_readme(Path(args[0]), Path(args[1]))
    print(f"updated the claim table of {args[0]} from {args[1]}")
