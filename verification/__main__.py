"""python -m verification [CLAIM ...] [--quick] [--out DIR] [--seed N] [--workers N | --scheduler ADDRESS] [--force]
[--replot] [--strict]

Runs the checks (all by default), reusing finished results in DIR unless --force (an interrupted run loses nothing
finished), then writes DIR/<claim>.png, DIR/<claim>.json, DIR/report.json and DIR/report.md.

A figure is drawn only when its result is new or changed (or with --replot): each PNG carries the sha256 of the
result it was drawn from, so a run that reuses every result leaves every file as it was, on any machine (the same
data can rasterise a few pixels apart on another CPU). Each result records the machine that computed it; report.md
lists them. A recomputation on another machine can differ in the last digits (kernel order), never in its verdicts.
"""
from __future__ import annotations

import argparse
import concurrent.futures as cf
import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import platform
import sys
import time
from pathlib import Path

from tqdm import tqdm

from ilo_solver.storage import dumps

from . import CHECKS, report
from ._common import (
    NOT_FALSIFIABLE,
    ClaimRow,
    dask_executor,
    evaluate,
    load_json,
    make_executor,
    save_figure,
    save_json,
    load_generator,
    set_threads,
)


def _key(mod, *, quick: bool, seed: int, cfg=None) -> dict:
    cfg = (mod.QUICK if quick else mod.DEFAULT) if cfg is None else cfg
    # normalised through JSON (tuples -> lists) so that it compares equal to the saved key
    return json.loads(dumps(dict(config=dataclasses.asdict(cfg), seed=seed, quick=quick)))


def override(cfg, settings) -> object:
    """``cfg`` (a check's Config) with ``settings`` -- ``"key=value"`` strings -- applied, each value read as the
    field's type: an int, a float, ``true``/``false``, or a tuple written as Python literals (``20,40,80`` or
    ``((5, 50, 200),)``); a tuple of names takes bare comma-separated names (``photos=astronaut,face:33``). An
    unknown field or a value of the wrong type is one clear error naming the field."""
    import ast
    fields = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg)}
    changes = {}
    for item in settings:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or key not in fields:
            raise ValueError(f"--set {item!r}: expected KEY=VALUE with KEY one of {', '.join(fields)}")
        default = fields[key]
        try:
            if isinstance(default, bool):
                if text.strip().lower() not in ("true", "false"):
                    raise ValueError("expected true or false")
                value = text.strip().lower() == "true"
            elif isinstance(default, tuple) and default and all(isinstance(v, str) for v in default) \
                    and text.strip()[:1] not in "(['\"":
                value = tuple(v.strip() for v in text.split(",") if v.strip())   # names: a,b,c
            elif isinstance(default, tuple):
                value = ast.literal_eval(text)
                value = value if isinstance(value, tuple) else (value,)
            elif isinstance(default, int):
                value = int(text)
            elif isinstance(default, float):
                value = float(text)
            else:
                value = ast.literal_eval(text) if text.strip()[:1] in "([{'\"0123456789-" else text
        except (ValueError, SyntaxError) as e:
            raise ValueError(f"--set {key}: cannot read {text!r} as a {type(default).__name__} "
                             f"(default {default!r}): {e}") from None
        changes[key] = value
    return dataclasses.replace(cfg, **changes)


def describe_config(mod) -> str:
    """Every Config field of a check: its default and its --quick value (``python -m verification CLAIM
    --list-config``)."""
    rows = [f"{mod.__name__.split('.')[-1]}: Config fields (default | --quick); set any with --set KEY=VALUE"]
    for f in dataclasses.fields(mod.DEFAULT):
        d, q = getattr(mod.DEFAULT, f.name), getattr(mod.QUICK, f.name)
        rows.append(f"  {f.name} ({type(d).__name__}): {d!r}" + ("" if q == d else f" | {q!r}"))
    return "\n".join(rows)


def _cached(name: str, out: Path, key: dict, *, warn: bool = False, mod=None):
    """The saved {key, seconds, result} of a finished claim with this exact key, else None. A file that cannot be
    read (truncated, corrupt) -- or, given the check ``mod``, whose result its claims cannot read (written by
    another version under the same key) -- counts as missing: it is reported (``warn``) and recomputed, never a
    crash."""
    path = out / f"{name}.json"
    if not path.exists():
        return None
    try:
        saved = load_json(path)
    except (ValueError, OSError) as e:
        if warn:
            tqdm.write(f"{name}: the saved result {path} cannot be read ({type(e).__name__}: {e}); recomputing")
        return None
    if not (isinstance(saved, dict) and saved.get("key") == key and "result" in saved):
        return None
    if mod is not None:
        try:
            evaluate(mod, saved["result"])
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, ZeroDivisionError) as e:
            if warn:
                tqdm.write(f"{name}: the saved result {path} does not fit this version's claims "
                           f"({type(e).__name__}: {e}); recomputing")
            return None
    return saved


def machine() -> dict:
    """Where a result is computed: host, CPU model, the ATen kernels torch picked, torch and Python versions."""
    import torch
    cpu = platform.processor()
    with contextlib.suppress(OSError):
        cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                    if ln.startswith("model name")), cpu)
    return dict(host=platform.node(), cpu=cpu, capability=torch.backends.cpu.get_cpu_capability(),
                torch=torch.__version__, python=platform.python_version())


FIGURE_KEY = "ilo-result-sha256"   # the PNG text chunk naming the result a figure was drawn from


def result_digest(saved: dict) -> str:
    return hashlib.sha256(dumps(dict(key=saved["key"], result=saved["result"])).encode()).hexdigest()


def figure_is_current(path: Path, digest: str) -> bool:
    """True when ``path`` is a PNG drawn from the result with this digest (its text chunk says so)."""
    from PIL import Image
    try:
        with Image.open(path) as im:
            return im.format == "PNG" and im.text.get(FIGURE_KEY) == digest
    except (OSError, ValueError, SyntaxError):
        return False


def provenance(name: str, saved: dict) -> str:
    c = saved.get("computed", {})
    where = ", ".join(f"{k} {c[k]}" for k in ("cpu", "capability", "torch") if k in c) or "CPU not recorded"
    return (f"{name}: computed {c.get('at', 'at an unrecorded time')} on host {c.get('host', 'unrecorded')} "
            f"({where}), {saved['seconds']:.0f} s")


@contextlib.contextmanager
def _exclusive(out: Path):
    """One run at a time per output directory: a second concurrent run into it stops with a clear error instead of
    mixing seeds and dropping rows (an advisory lock on ``out/.lock``, released when the run ends)."""
    out.mkdir(parents=True, exist_ok=True)
    # O_NOFOLLOW: a symbolic link planted as .lock is refused, never followed and truncated
    try:
        fd = os.open(out / ".lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as e:
        raise RuntimeError(f"cannot open the lock {out / '.lock'}: {e.strerror or e}") from None
    with os.fdopen(fd, "r+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(f"another verification run is writing into {out}; wait for it or use another "
                               "--out") from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _refuse_foreign_report(out: Path, checks: dict) -> None:
    """A directory whose report holds claims of checks outside this registry (``docs/paper`` for the claim checks,
    ``docs/figures`` for the paper) would have its report rewritten without them: refused."""
    try:
        ids = {str(r["id"]).split(".")[0] for r in load_json(out / "report.json")}
    except (OSError, ValueError, KeyError, TypeError):
        return
    other = sorted(ids - set(checks))
    if other:
        raise RuntimeError(f"{out} holds the report of other checks ({', '.join(other)}); running these here would "
                           "rewrite it without them: use another --out")


def run_checks(names, *, quick: bool, out: Path, seed: int, executor: cf.Executor, force: bool = False,
               progress: bool = True, checks: dict | None = None, replot: bool = False,
               configs: dict | None = None) -> list[ClaimRow]:
    """Run (or reuse) the checks ``names``, draw the figures of new or changed results (all with ``replot``), and
    write the report of every claim that has a finished result in ``out`` for these settings -- so running one claim
    does not drop the others' rows. A reused result is said to be reused, with when and where it was computed.
    ``checks``: the registry of check modules (default :data:`verification.CHECKS`; ``verification.paper`` passes
    its own); ``configs``: a Config per check name in place of its DEFAULT / QUICK (``--set``)."""
    checks = CHECKS if checks is None else checks
    configs = configs or {}
    with _exclusive(out):
        _refuse_foreign_report(out, checks)
        for name in tqdm(names, desc="claims", disable=not progress):
            mod = checks[name]
            cfg = configs.get(name) or (mod.QUICK if quick else mod.DEFAULT)
            key = _key(mod, quick=quick, seed=seed, cfg=cfg)
            saved = None if force else _cached(name, out, key, warn=True, mod=mod)
            reused = saved is not None
            if saved is None:
                t = time.perf_counter()
                result = mod.run(cfg, seed=seed, executor=executor)
                save_json(out / f"{name}.json", dict(key=key, seconds=time.perf_counter() - t, result=result,
                                                     computed=dict(at=time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                                                                   **machine())))
                saved = _cached(name, out, key)  # claims and plots always read the saved form
            digest = result_digest(saved)
            if replot or not figure_is_current(out / f"{name}.png", digest):
                save_figure(mod.plot(saved["result"]), out / f"{name}.png", metadata={FIGURE_KEY: digest})
            if progress:
                new = evaluate(mod, saved["result"])
                when = saved.get("computed", {})
                at, host = when.get("at", "at an unrecorded time"), when.get("host", "an unrecorded host")
                how = f"reused (computed {at} on {host}, {saved['seconds']:.1f} s)" if reused else \
                    f"{saved['seconds']:.1f} s"
                tqdm.write(f"{name}: {how}, " + ", ".join(f"{r.id.split('.')[-1]}={r.verdict}" for r in new))
        rows: list[ClaimRow] = []
        where: list[str] = []
        for name, mod in checks.items():
            saved = _cached(name, out, _key(mod, quick=quick, seed=seed, cfg=configs.get(name)))
            if saved is not None:
                rows.extend(evaluate(mod, saved["result"]))
                where.append(provenance(name, saved))
        report.write(rows, out, provenance=where)
    return rows


def main(argv=None) -> int:
    """The command; the thread counts it sets for the run are restored when it returns (it is also called
    in-process, by the tests and by scripts)."""
    import numba
    import torch
    before = torch.get_num_threads(), numba.get_num_threads()
    try:
        return _main(argv)
    finally:
        set_threads(before[1])
        torch.set_num_threads(before[0])


def _configs(ap, args) -> dict:
    """``{claim: Config}`` from ``--generator`` and ``--set`` (one claim, an --out of one's own); errors through
    ``ap``."""
    if args.generator is not None:
        takes = [c for c in CHECKS if "generator" in {f.name for f in dataclasses.fields(CHECKS[c].DEFAULT)}]
        if len(args.claims) != 1 or args.claims[0] not in takes:
            ap.error(f"--generator applies to one CLAIM that takes a generator: {', '.join(takes)}")
        try:
            load_generator(args.generator)          # refused here, before any work, if it cannot be loaded
        except ValueError as e:
            ap.error(str(e))
        args.set.append(f"generator={args.generator}")
    if not args.set:
        return {}
    if len(args.claims) != 1 or args.out is None:
        ap.error("--set changes one claim's Config: name exactly one CLAIM and an --out of your own")
    if args.out.resolve() in (Path("docs/figures").resolve(), Path("docs/paper").resolve()):
        ap.error("--set results never go into the committed docs/figures or docs/paper; choose another --out")
    mod = CHECKS[args.claims[0]]
    try:
        return {args.claims[0]: override(mod.QUICK if args.quick else mod.DEFAULT, args.set)}
    except (ValueError, TypeError) as e:
        ap.error(str(e))


def _main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m verification", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("claims", nargs="*", metavar="CLAIM", help=f"any of {', '.join(CHECKS)} (default: all)")
    ap.add_argument("--quick", action="store_true", help="every check at small size (about 30 s in all)")
    ap.add_argument("--out", type=Path, default=None,
                    help="result directory (default: docs/figures, or results/quick with --quick: a quick run never "
                         "writes into the committed figures)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1, help="processes for the sweeps (default 1: in process)")
    ap.add_argument("--scheduler", metavar="ADDRESS", help="run the sweeps on the dask.distributed cluster at "
                    "ADDRESS (e.g. tcp://host:8786; the optional extra 'dask') instead of local processes")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch and numba threads of an in-process run (--workers 1). One by default: on 2 shared "
                         "cores the full pools fight (landscape --quick took 57 s under load vs 9.6 s with one); on "
                         "2 idle cores theorem1 + srec --quick take 9.95 s with one vs 10.82 s with the defaults")
    ap.add_argument("--force", action="store_true", help="recompute even if a finished result exists")
    ap.add_argument("--replot", action="store_true",
                    help="redraw every figure (after a change to a plot function); by default a figure is drawn only "
                         "when its result is new or changed")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="change one field of the claim's Config (one CLAIM, an explicit --out; repeatable): your "
                         "own sizes, e.g. srec --set ms=20,40,80 --set draws=10. --list-config shows the fields")
    ap.add_argument("--generator", metavar="PKG.MODULE:FACTORY",
                    help="your own generator for a check that takes one (srec, extended_srec): FACTORY() returns a "
                         "LayeredGenerator; needs one CLAIM and an --out of your own, like --set")
    ap.add_argument("--list-config", action="store_true", help="print each CLAIM's Config fields and exit")
    ap.add_argument("--strict", action="store_true",
                    help="exit 1 when any claim fails or is not falsifiable at this size (make figures uses it)")
    args = ap.parse_args(argv)
    unknown = [c for c in args.claims if c not in CHECKS]
    if unknown:
        ap.error(f"unknown claim(s) {', '.join(unknown)}; choose from {', '.join(CHECKS)}")
    if args.list_config:
        print("\n".join(describe_config(CHECKS[c]) for c in (args.claims or CHECKS)))
        return 0
    if args.workers < 1 or args.threads < 1:
        ap.error("--workers and --threads must be >= 1")
    configs = _configs(ap, args)
    if args.workers == 1:
        set_threads(args.threads)
    names = args.claims or list(CHECKS)
    if args.out is None:
        args.out = Path("results/quick") if args.quick else Path("docs/figures")
    if args.quick and args.out.resolve() == Path("docs/figures").resolve():
        ap.error("--quick results never go into the committed docs/figures; choose another --out")
    if args.scheduler is not None and args.workers != 1:
        ap.error("--scheduler and --workers are exclusive (the cluster has its own workers)")
    try:
        with (dask_executor(args.scheduler) if args.scheduler is not None else make_executor(args.workers)) as ex:
            rows = run_checks(names, quick=args.quick, out=args.out, seed=args.seed, executor=ex, force=args.force,
                              replot=args.replot, configs=configs)
    except (RuntimeError, OSError, ValueError) as e:
        ap.exit(2, f"python -m verification: error: {e}\n")
    except KeyboardInterrupt:
        ap.exit(130, "python -m verification: interrupted; finished claims are kept, nothing half-written\n")
    print(f"wrote {args.out / 'report.md'} and {args.out / 'report.json'}:")
    print((args.out / "report.md").read_text())
    failed = [r.id for r in rows if r.verdict in ("fails", NOT_FALSIFIABLE)]
    if failed and args.strict:
        print(f"--strict: {len(failed)} claim(s) fail or are not falsifiable at this size: {', '.join(failed)}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
