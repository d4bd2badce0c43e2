"""What the subcommands share: the help formatter and argparse types that only parse (ranges are the library's)."""
from __future__ import annotations

import argparse
import sys


class Help(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Defaults shown where they say something (not for None/False, nor where the help states its own); the
    description and epilog (examples) kept as written."""

    def _get_help_string(self, action):
        if action.default in (None, False) or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def measured_times() -> dict:
    """``ilo_solver/data/cli_times.json`` -- each command's wall time at its defaults, measured by
    ``benchmarks/cli_times.py`` (machine and date inside) -- or {} where it is missing."""
    import json
    from pathlib import Path
    path = Path(__file__).resolve().parents[1] / "data" / "cli_times.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def time_line(*keys: str) -> str:
    """"Time at defaults: ..." for the commands ``keys`` of :func:`measured_times` (those measured), with where it
    was measured; "" when none was."""
    rec = measured_times()
    got = [(k, rec["commands"][k]) for k in keys if k in rec.get("commands", {})]
    if not got:
        return ""
    if len(keys) > 1:      # one command's variants (ilo solve's methods): "csgm 27 s (inpaint), ..."
        what = ", ".join(f"{k.split()[-1]} {_duration(v['seconds'])}" + (f" ({v['task']})" if v.get("task") else "")
                         for k, v in got)
    else:
        what = _duration(got[0][1]["seconds"]) + (f" ({got[0][1]['how']})" if got[0][1].get("how") else "")
    return (f"Time at defaults: {what}; wall clock with start-up, measured by {rec['script']} on "
            f"{rec['machine']}, {rec['date']}.")


def parser(sub, name: str, summary: str, description: str, example: str,
           timed: tuple = ()) -> argparse.ArgumentParser:
    """A subcommand's parser: a one-line ``summary`` (in ``ilo --help``), a ``description`` and an example; the
    measured time at defaults of the commands ``timed`` (default: ``name``) follows the description."""
    times = time_line(*(timed or (name,)))
    return sub.add_parser(name, help=summary, description=f"{summary}\n\n{description}\n\n{times}".rstrip(),
                          epilog=f"example:\n  {example}", formatter_class=Help)


def floats(s: str) -> tuple[float, ...]:
    try:
        return tuple(float(t) for t in s.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {s!r}") from None


def ints(s: str) -> tuple[int, ...]:
    try:
        return tuple(int(t) for t in s.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {s!r}") from None


def save_size(s: str) -> int:
    try:
        n = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--save-size needs a side in pixels, got {s!r}") from None
    if not 16 <= n <= 4096:
        raise argparse.ArgumentTypeError(f"--save-size must lie in [16, 4096] pixels, got {n}")
    return n


def box(s: str) -> tuple[int, int, int, int]:
    v = ints(s)
    if len(v) != 4:
        raise argparse.ArgumentTypeError(f"--box needs 4 integers TOP,LEFT,HEIGHT,WIDTH, got {s!r}")
    return v


def add_output(p: argparse.ArgumentParser, files: str) -> None:
    p.add_argument("--out", type=_path, required=True, help=f"result directory ({files})")
    p.add_argument("--overwrite", action="store_true", help="replace an existing, non-empty --out directory")


def add_run(p: argparse.ArgumentParser, seed_help: str = "seed of every random draw") -> None:
    """--seed, --device and --no-progress, in a group of their own."""
    r = p.add_argument_group("run")
    r.add_argument("--seed", type=int, default=0, help=seed_help)
    r.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or mps")
    r.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _path(s: str):
    from pathlib import Path
    return Path(s)


def emit(summary: dict) -> None:
    """The command's one-line summary on stdout, strict JSON (non-finite numbers as strings)."""
    from ilo_solver.storage import dumps
    print(dumps(summary))
    sys.stdout.flush()


__all__ = ["Help", "parser", "floats", "ints", "box", "save_size", "add_output", "add_run", "emit"]
