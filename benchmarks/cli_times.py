"""How long each `ilo` command takes at its defaults, measured, for the time lines of `ilo COMMAND --help`.

Runs every command in a fresh process (start-up and imports included, as a user sees it) on the built-in astronaut,
and writes ``ilo_solver/data/cli_times.json``, which the parsers read (:func:`ilo_solver.cli._args.time_line`):

- ``solve``: every dcgan-faces method at its defaults on inpainting (20 % observed; a baseline of one task only on
  that task: bicubic super-resolution, TV / NL-means denoising, least-squares CS);
- ``srec``, ``classify``, ``render``: at their defaults (``render`` on the ``ilo`` result);
- ``train-prior``: ``--steps 100`` measured and scaled to the default 2000 steps (its start-up counted once);
- ``train-classifier`` and ``convert`` are not measured (they depend on the user's data and checkpoint).

Usage: ``python benchmarks/cli_times.py [--out ilo_solver/data/cli_times.json]`` (about 10 min on 2 idle cores; run
it on an idle machine -- the numbers are what the help will say).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ilo_solver.presets import methods  # noqa: E402  (the path above first)


# the prior-free baselines that apply to one task only (the others are timed on inpainting)
TASK_OF = {"bicubic": "superres", "tv": "denoise", "nlmeans": "denoise", "lstsq": "cs-gaussian"}


def _ilo(*args: str) -> float:
    """Wall seconds of ``ilo ARGS`` in a fresh process; a failure stops the benchmark with its output."""
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", "import sys; from ilo_solver.cli import main; sys.exit(main())",
                        *args], capture_output=True, text=True, cwd=ROOT)
    if p.returncode != 0:
        raise SystemExit(f"ilo {' '.join(args)} failed:\n{p.stderr[-2000:]}")
    return time.perf_counter() - t0


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "ilo_solver" / "data" / "cli_times.json")
    args = ap.parse_args(argv)
    times: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        def out(name: str) -> str:
            return str(Path(tmp) / name)
        for method in methods("dcgan-faces"):
            task = TASK_OF.get(method, "inpaint")
            s = _ilo("solve", "--image", "astronaut", "--task", task, "--method", method, "--no-progress",
                     "--out", out(f"solve-{method}"))
            times[f"solve --method {method}"] = dict(seconds=s, task=task)
            print(f"solve --method {method}: {s:.1f} s", flush=True)
        s = _ilo("render", out("solve-ilo"), "--out", out("again.png"))
        times["render"] = dict(seconds=s, how="an ilo result")
        s = _ilo("srec", "--no-progress", "--out", out("srec"))
        times["srec"] = dict(seconds=s)
        s = _ilo("classify", "--class", "dress", "--no-progress", "--out", out("classify"))
        times["classify"] = dict(seconds=s)
        s = _ilo("train-prior", "--steps", "100", "--no-progress", "--out", out("prior.pt"))
        start = _ilo("train-prior", "--steps", "1", "--no-progress", "--out", out("prior1.pt"))
        times["train-prior"] = dict(seconds=start + (s - start) * 2000 / 99,
                                    how=f"--steps 100 measured ({s:.0f} s), scaled to the default 2000 steps")
        for k in ("render", "srec", "classify", "train-prior"):
            print(f"{k}: {times[k]['seconds']:.1f} s", flush=True)
    record = dict(machine=f"{_cpu()}, {os.cpu_count()} cores", python=platform.python_version(),
                  date=datetime.date.today().isoformat(), script="benchmarks/cli_times.py", commands=times)
    args.out.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
