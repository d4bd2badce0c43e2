"""``make test-portability``: the test suite under every CPU kernel variant that torch and MKL let one machine select.

    python -m tests.portability [--pins-only] [--record] [--variants NAME ...] [-- PYTEST ARGS]

Floating-point sums are reordered by the kernels a machine picks: ATen's vectorised CPU kernels (AVX-512, AVX2 or
the scalar ``default``, ``ATEN_CPU_CAPABILITY``), MKL's code paths (``MKL_ENABLE_INSTRUCTIONS``) and its conditional
numerical reproducibility mode (``MKL_CBWR``), oneDNN on or off, one thread or two. A suite that passes on one
machine only may be relying on the last bits of one of them. This runs, for each variant, (1) the pinned numbers
(:mod:`tests.unit.pins`) in a fresh process, reporting their largest deviation from ``pinned.json`` relative to each
summary vector's scale, and (2) unless ``--pins-only``, the whole suite (``pytest -q`` + PYTEST ARGS). It prints a
matrix and exits 1 if any variant fails. ``--record`` writes the measured pin spread into ``pinned.json``'s
``_meta`` (what ``test_pins.test_recorded_spread_is_below_the_tolerance`` reads).

Variants whose instruction set this CPU lacks are skipped (said in the matrix). The full matrix takes about
10 x the suite's time (about an hour on 2 cores); ``--pins-only`` about 10 x 40 s.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: name -> (environment, instruction-set flags the CPU needs, what it stands for)
VARIANTS: dict[str, tuple[dict[str, str], tuple[str, ...], str]] = {
    "native": ({}, (), "what this machine picks by itself"),
    "aten-avx512": ({"ATEN_CPU_CAPABILITY": "avx512"}, ("avx512f", "avx512bw", "avx512vl", "avx512dq"),
                    "ATen's AVX-512 kernels"),
    "aten-avx2": ({"ATEN_CPU_CAPABILITY": "avx2"}, ("avx2", "fma"), "ATen's AVX2 kernels"),
    "aten-default": ({"ATEN_CPU_CAPABILITY": "default"}, (), "ATen's scalar kernels (an x86 CPU without AVX2)"),
    "avx2-only": ({"ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"}, ("avx2", "fma"),
                  "an AVX2-only machine (e.g. AMD Zen 2/3): ATen and MKL on AVX2"),
    "sse-only": ({"ATEN_CPU_CAPABILITY": "default", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2"}, ("sse4_2",),
                 "the oldest x86-64 path: scalar ATen, MKL on SSE4.2"),
    "mkl-cbwr-compatible": ({"MKL_CBWR": "COMPATIBLE"}, (), "MKL's conditional reproducibility, compatible path"),
    "mkl-cbwr-avx2": ({"MKL_CBWR": "AVX2"}, ("avx2",), "MKL's conditional reproducibility, AVX2 path"),
    "onednn-off": ({"ILO_TEST_MKLDNN": "0"}, (), "torch.backends.mkldnn disabled (tests/conftest.py)"),
    "one-thread": ({"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "ILO_PIN_THREADS": "1"}, (),
                   "one torch/MKL thread (pins too)"),
}


def cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def machine() -> dict:
    model = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                  if ln.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    import torch
    return dict(cpu=model, torch=torch.__version__, capability=torch.backends.cpu.get_cpu_capability(),
                python=platform.python_version())


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS", "MKL_CBWR", "ILO_TEST_MKLDNN",
                        "ILO_PIN_THREADS")}
    env.update(extra)
    env.setdefault("HYPOTHESIS_PROFILE", "ci")
    return env


def pin_spread(env: dict[str, str]) -> dict[str, float]:
    """The pins computed in a fresh process under ``env``: {pin: largest deviation relative to its scale}."""
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "pins.json"
        subprocess.run([sys.executable, "-m", "tests.unit.pins", "--json", str(out)], cwd=ROOT, env=env, check=True)
        new = json.loads(out.read_text())
    from tests.unit.test_pins import PINNED, deviations
    return {name: max(deviations(new[name], PINNED[name], name).values(), default=0.0) for name in PINNED}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    ap = argparse.ArgumentParser(prog="python -m tests.portability", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pins-only", action="store_true", help="only the pinned numbers (about 40 s a variant)")
    ap.add_argument("--record", action="store_true", help="write the measured pin spread into pinned.json _meta")
    ap.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS), metavar="NAME",
                    help=f"a subset of: {', '.join(VARIANTS)}")
    args = ap.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    flags = cpu_flags()
    rows, spread, failed = [], {}, False
    for name in args.variants:
        env_extra, needs, what = VARIANTS[name]
        missing = [f for f in needs if f not in flags]
        if missing:
            rows.append((name, what, "skipped: the CPU lacks " + ", ".join(missing), ""))
            continue
        env = _env(env_extra)
        t = time.perf_counter()
        dev = pin_spread(env)
        worst = max(dev.values())
        spread[name] = worst
        from tests.unit.test_pins import TOL
        pins_cell = f"{worst:.1e} ({'ok' if worst <= TOL else 'FAILS'} at TOL {TOL:g})"
        failed |= worst > TOL
        suite = "not run (--pins-only)"
        if not args.pins_only:
            r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra], cwd=ROOT,
                               env=env, capture_output=True, text=True)
            tail = [ln for ln in r.stdout.splitlines() if " passed" in ln or " failed" in ln or " error" in ln]
            suite = (tail[-1].strip("= ") if tail else f"exit {r.returncode}") + ("" if r.returncode == 0 else
                                                                                  "  <-- FAILS")
            failed |= r.returncode != 0
            if r.returncode != 0:
                print(r.stdout[-4000:], file=sys.stderr)
        rows.append((name, what, pins_cell, f"{suite} [{time.perf_counter() - t:.0f} s]"))
        print(f"{name}: pins {pins_cell}; suite {suite}", flush=True)
    info = machine()
    print(f"\nMachine: {info['cpu']}; torch {info['torch']} (native capability {info['capability']}); "
          f"Python {info['python']}\n")
    print("| variant | stands for | pins: largest deviation / scale | suite |\n|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    if args.record and spread:
        from tests.unit import pins
        saved = json.loads(pins.PATH.read_text())
        old = saved.get("_meta", {}).get("spread", {}) if saved.get("_meta", {}).get("machine") == info else {}
        saved["_meta"] = dict(machine=info, spread={**old, **spread}, recorded=time.strftime("%Y-%m-%d"))
        pins.PATH.write_text(json.dumps(saved, indent=0))
        print(f"\nrecorded the spread into {pins.PATH}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
