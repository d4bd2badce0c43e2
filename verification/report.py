"""The claim report: ``report.json`` (a list of claims) and ``report.md`` (a table)."""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from ._common import VERDICTS, ClaimRow, save_json, write_atomically


def controls_cell(controls) -> str:
    """A claim's (control, verdict) pairs as one table cell."""
    return ", ".join(f"{name}: {verdict}" for name, verdict in controls)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], verdicts: Sequence[str]) -> list[str]:
    """A Markdown table (cells with ``|`` escaped) and, after a blank line, the count of each verdict."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |" for cells in rows]
    return lines + ["", ", ".join(f"{sum(v == w for v in verdicts)} {w}" for w in VERDICTS)]


FIELDS = ("id", "source", "statement", "predicted", "measured", "ci", "verdict", "controls")


def write(rows: Sequence[ClaimRow], out_dir: Path, *, provenance: Sequence[str] = ()) -> tuple[Path, Path]:
    """``report.json`` and ``report.md``; ``provenance``: one line per result saying where it was computed (listed
    under the table with what a recomputation elsewhere may change)."""
    out_dir = Path(out_dir)
    js = out_dir / "report.json"
    save_json(js, [{k: dataclasses.asdict(r)[k] for k in FIELDS} for r in rows])
    md = out_dir / "report.md"
    lines = _table(("claim", "source", "predicted", "measured", "CI", "verdict", "controls (must fail)"),
                   [(r.id, r.source, r.predicted, r.measured, r.ci, f"**{r.verdict}**", controls_cell(r.controls))
                    for r in rows], [r.verdict for r in rows])
    if provenance:
        lines += ["", "Where these results were computed (a recomputation on another machine can differ in the last "
                  "digits, within the CIs, as kernels order sums differently; its verdicts must not differ):", ""]
        lines += [f"- {p}" for p in provenance]
    write_atomically(md, "\n".join(lines) + "\n")
    return js, md


BEGIN, END = "<!-- claims:begin (python -m verification.report) -->", "<!-- claims:end -->"


def readme_table(report: list[dict]) -> str:
    """The README's short claim table from ``report.json``: claim, measured, verdict, controls' verdicts."""
    def short(text):
        return text if len(text) <= 160 else text[:157] + "..."
    lines = _table(("claim", "measured", "verdict", "controls (must fail)"),
                   [(r["id"], short(r["measured"]), f"**{r['verdict']}**", controls_cell(r["controls"]))
                    for r in report],
                   [r["verdict"] for r in report])
    return "\n".join(lines) + "\n"


def update_readme(readme: Path, report_json: Path, *, begin: str = BEGIN, end: str = END) -> None:
    """Replace the table between the markers ``begin``/``end`` of ``readme`` (default: the claim markers) by
    :func:`readme_table` of ``report_json``."""
    import json
    text = Path(readme).read_text()
    if begin not in text or end not in text:
        raise SystemExit(f"{readme} has no claim markers ({begin} ... {end})")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    table = readme_table(json.loads(Path(report_json).read_text()))
    write_atomically(Path(readme), head + begin + "\n" + table + end + tail)


if __name__ == "__main__":   # python -m verification.report [README.md] [docs/figures/report.json]
    import sys
    args = sys.argv[1:] + ["README.md", "docs/figures/report.json"][len(sys.argv[1:]):]
    update_readme(Path(args[0]), Path(args[1]))
    print(f"updated the claim table of {args[0]} from {args[1]}")
