"""All file I/O of the solvers in one place (the algorithms stay pure functions): configs ↔ JSON, ILO states and
score models saved and loaded, and result directories written atomically.

One JSON convention, everywhere (CLI outputs, saved states, the verification results): strict JSON (no ``NaN`` /
``Infinity`` tokens); a non-finite float is written as the string ``"inf"``, ``"-inf"`` or ``"nan"`` and read back
by :func:`from_jsonable` where a float is expected.
"""
from __future__ import annotations

import dataclasses
import errno
import json
import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = ["to_jsonable", "from_jsonable", "dumps", "config_to_dict", "config_from_dict", "save_state",
           "load_state", "save_score", "load_score", "write_atomically", "check_output_dir", "write_result_dir"]

_NONFINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


def to_jsonable(o: Any):
    """Dataclasses → dicts, tuples → lists, numpy/torch scalars and arrays → numbers and lists, paths → strings,
    non-finite floats → ``"inf"``/``"-inf"``/``"nan"``."""
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return {f.name: to_jsonable(getattr(o, f.name)) for f in dataclasses.fields(o)}
    if isinstance(o, dict):
        return {str(k): to_jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [to_jsonable(v) for v in o]
    if isinstance(o, torch.Tensor):
        return to_jsonable(o.detach().cpu().tolist())
    if isinstance(o, np.ndarray):
        return to_jsonable(o.tolist())
    if isinstance(o, (bool, np.bool_)):
        return bool(o)
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (float, np.floating)):
        v = float(o)
        return v if math.isfinite(v) else ("nan" if math.isnan(v) else "inf" if v > 0 else "-inf")
    if isinstance(o, Path):
        return str(o)
    return o


def from_jsonable(v):
    """A float written by :func:`to_jsonable` (numbers pass through; ``"inf"`` → inf)."""
    if isinstance(v, str) and v in _NONFINITE:
        return _NONFINITE[v]
    return v


def dumps(obj: Any, **kw) -> str:
    """Strict JSON of :func:`to_jsonable` (``allow_nan=False``: a stray NaN is an error, not an invalid file)."""
    return json.dumps(to_jsonable(obj), allow_nan=False, **kw)


# --------------------------------------------------------------------------------------------------- configs
def _config_types() -> dict:
    """The config types of every registered solver (:data:`ilo_solver.presets.SOLVERS`), by class name."""
    from .presets import SOLVERS
    return {c.__name__: c for c in SOLVERS}


def config_to_dict(cfg) -> dict:
    """``{"type": <class name>, **fields}`` in the JSON convention of this module."""
    if type(cfg).__name__ not in _config_types():
        raise ValueError(f"not a solver config: {type(cfg).__name__}")
    return dict(type=type(cfg).__name__, **to_jsonable(cfg))


def config_from_dict(d: dict):
    """The config that :func:`config_to_dict` wrote (rounds, data fit and non-finite floats rebuilt)."""
    from .fit.losses import DataFit
    from .optim.loop import Round
    types = _config_types()
    if not isinstance(d, dict) or d.get("type") not in types:
        raise ValueError(f"not a saved solver config (type must be one of {', '.join(types)})")
    cls = types[d["type"]]
    kw = {k: v for k, v in d.items() if k != "type"}
    names = {f.name for f in dataclasses.fields(cls)}
    if set(kw) - names:
        raise ValueError(f"unknown {cls.__name__} fields {sorted(set(kw) - names)}")

    def rnd(r):
        return Round(**{k: from_jsonable(v) for k, v in r.items()})
    try:
        if "rounds" in kw:
            kw["rounds"] = tuple(rnd(r) for r in kw["rounds"])
        if "csgm" in kw:
            kw["csgm"] = rnd(kw["csgm"])
        if "fit" in kw:
            kw["fit"] = DataFit(**{k: from_jsonable(v) for k, v in kw["fit"].items()})
        kw = {k: from_jsonable(v) for k, v in kw.items()}
        return cls(**kw)
    except (TypeError, AttributeError) as e:
        raise ValueError(f"malformed saved {cls.__name__}: {e}") from None


# --------------------------------------------------------------------------------------------------- states
def save_state(result, path) -> None:
    """Everything needed to resume or reproduce an :class:`~ilo_solver.solvers.ilo.ILOResult` (tensors + the config as
    JSON); load with :func:`load_state`."""
    torch.save(dict(x_all=result.x_all, best=result.best, z=result.z, code=result.code, split=result.split,
                    losses=result.losses, final_loss=result.final_loss, seconds=torch.tensor(result.seconds),
                    rounds_done=result.rounds_done, rng_state=result.rng_state,
                    config=dumps(config_to_dict(result.config))), path)


def load_state(path):
    from .io.safe_pickle import safe_torch_load
    from .solvers.ilo import ILOResult
    d = safe_torch_load(path)
    try:
        cfg = config_from_dict(json.loads(d["config"]))
        return ILOResult(x=d["x_all"][d["best"]:d["best"] + 1], losses=list(d["losses"]),
                         seconds=d["seconds"].tolist(), config=cfg, x_all=d["x_all"], best=int(d["best"]), z=d["z"],
                         code=d["code"], split=int(d["split"]), final_loss=d["final_loss"],
                         rounds_done=int(d["rounds_done"]), rng_state=d["rng_state"])
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise ValueError(f"{path} is not a saved ILO state: {e}") from None


def save_score(model, path: str | Path, **meta) -> None:
    """State dict (torch, loadable with ``weights_only=True``) + a JSON config beside it (``.json``), placed together
    and only where neither exists (:func:`~ilo_solver.io.files.publish_new`)."""
    from .io.files import publish_new
    path = Path(path)
    publish_new({path: lambda p: torch.save(model.state_dict(), p),
                 path.with_suffix(".json"): lambda p: p.write_text(dumps(dict(config=model.config(), **meta),
                                                                         indent=1))})


def load_score(path: str | Path):
    """The score model :func:`save_score` wrote; a missing, malformed or mismatching file is one clear error."""
    from .io.safe_pickle import first_line, safe_torch_load
    from .priors.score import VPSDE, ScoreModel
    path = Path(path)
    side = path.with_suffix(".json")
    if not path.is_file() or not side.is_file():
        raise ValueError(f"score model {path} needs both {path.name} and {side.name} (written by `ilo train-prior`)")
    state = safe_torch_load(path)     # bounded by the file's own size
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{path} is not a state dict of tensors")
    try:
        if side.stat().st_size > 2 ** 20:
            raise ValueError("over 1 MiB")
        c = json.loads(side.read_text())["config"]
        shape, width, depth = tuple(int(v) for v in c["shape"]), int(c["width"]), int(c["depth"])
        sde = {k: float(v) for k, v in c["sde"].items()}
        if not (1 <= width <= 4096 and 1 <= depth <= 64 and 1 <= len(shape) <= 3 and all(1 <= v <= 2 ** 16 for v in
                                                                                        shape)):
            raise ValueError(f"width {width}, depth {depth} or shape {shape} out of range")
        if not all(math.isfinite(v) and v > 0 for v in sde.values()):
            raise ValueError(f"the SDE's constants must be finite and > 0, got {sde}")
        with torch.device("meta"):   # the architecture, without memory, checked against the weights first
            meta = ScoreModel(shape, width=width, depth=depth, sde=VPSDE(**sde))
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError, OverflowError) as e:
        raise ValueError(f"{side} is not a score model config: {first_line(e)}") from None
    wrong = [k for k, v in meta.state_dict().items() if k not in state or state[k].shape != v.shape]
    if wrong or set(state) - set(meta.state_dict()):
        raise ValueError(f"{path} does not match its config {side.name} (tensors {wrong[:3]} differ)")
    bad = [k for k, v in state.items() if not v.is_floating_point() or not bool(torch.isfinite(v).all())]
    if bad or not bool((state["std"] > 0).all()):
        raise ValueError(f"{path}: weights must be finite floating point and std > 0 ({bad[:3] or 'std'})")
    model = ScoreModel(shape, width=width, depth=depth, sde=VPSDE(**sde))
    model.to(state["mean"].dtype)  # keep the saved precision (buffers such as the Fourier frequencies included)
    model.load_state_dict(state)
    return model.eval()


# --------------------------------------------------------------------------------------------------- results
def write_atomically(path: Path, data: str | bytes) -> None:
    """A crash leaves either the old file or the new one, never half of one (text or bytes)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def save_figure(fig, path: Path, *, dpi: int = 110, metadata: dict[str, str] | None = None) -> Path:
    """The one place a figure is written (PNG, atomically: a crash leaves the old file or the new one), then closed.
    ``metadata``: PNG text chunks (the verification runner records the digest of the result drawn)."""
    import io

    import matplotlib.pyplot as plt
    path = Path(path)
    buf = io.BytesIO()
    fig.savefig(buf, dpi=dpi, format="png", metadata=metadata)
    plt.close(fig)
    write_atomically(path, buf.getvalue())
    return path


def save_png(x, path: Path) -> None:
    """An image ``[3, H, W]`` in [-1, 1] as an 8-bit PNG."""
    from PIL import Image

    from .io.images import to_uint8
    Image.fromarray(to_uint8(x)).save(path, format="PNG")


def write_reconstruction(out: Path, *, metrics: dict, config: dict, figure, x, overwrite: bool = False,
                         inputs=(), save_size: int | None = None, extra: dict | None = None) -> Path:
    """A reconstruction's result directory (``ilo solve``, ``ilo classify``): ``metrics.json``, ``config.json``,
    ``grid.png`` (the matplotlib ``figure``, saved and closed here) and ``reconstruction.png`` (``x``,
    ``[3, H, W]``), through :func:`write_result_dir`; with ``save_size`` N also ``reconstruction_Npx.png``, the
    reconstruction enlarged to N x N (bicubic; it adds no detail: for a print or a side-by-side with the photo);
    ``extra``: more files (name -> writer(path)), written in the same directory, together."""
    files = {"metrics.json": lambda p: p.write_text(dumps(metrics, indent=1)),
             "config.json": lambda p: p.write_text(dumps(config, indent=1)),
             "grid.png": lambda p: save_figure(figure, p, dpi=100),
             "reconstruction.png": lambda p: save_png(x, p)}
    if save_size is not None:
        import torch.nn.functional as F
        big = F.interpolate(x[None].float(), size=(save_size, save_size), mode="bicubic", align_corners=False,
                            antialias=save_size < x.shape[-1])[0].clamp(-1, 1)
        files[f"reconstruction_{save_size}px.png"] = lambda p: save_png(big, p)
    for name in extra or {}:
        if name in files:
            raise ValueError(f"extra file {name!r} would replace one of the result's own files")
    return write_result_dir(out, {**files, **(extra or {})}, overwrite=overwrite, inputs=inputs)


#: written into every result directory: what ``--overwrite`` may replace (a directory without it is not ours)
MARKER = ".ilo-result"


class ResultConflict(ValueError):
    """The output directory appeared (another run, another program) while this run worked: this run's result was
    kept under another name, which the message gives."""


def is_result_dir(path: Path) -> bool:
    """A directory this toolkit wrote (it holds the ``MARKER`` file)."""
    return Path(path).is_dir() and (Path(path) / MARKER).is_file()


def check_output_dir(out: Path, *, overwrite: bool = False, inputs=()) -> Path:
    """Before any work: ``out`` must be a directory that can be created (or, with ``overwrite``, replaces an earlier
    result of this toolkit -- a directory holding ``MARKER`` -- and nothing else) beside writable siblings, and
    no input file (``inputs``) may lie inside it. Raises ``ValueError`` with the reason."""
    out = Path(out)
    if not out.name or out.name in (".", ".."):
        raise ValueError(f"output directory {str(out)!r} has no name of its own")
    if out.exists() and not out.is_dir():
        raise ValueError(f"output {out} exists and is not a directory")
    if out.is_symlink():
        raise ValueError(f"output {out} is a symbolic link; give the directory itself")
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise ValueError(f"output directory {out} exists and is not empty; pass --overwrite (overwrite=True) to "
                             "replace it")
        if not is_result_dir(out):
            raise ValueError(f"--overwrite replaces only an earlier result of this toolkit, and {out} is not one (it "
                             f"has no {MARKER} file): move it away or choose another --out")
    here = out.resolve()
    for item in inputs:
        if item is not None and Path(item).exists() and here in Path(item).resolve().parents:
            raise ValueError(f"the input {item} lies inside --out {out}, which the result replaces: choose another "
                             "--out")
    anc = here.parent
    while not anc.exists():
        anc = anc.parent
    if not anc.is_dir() or not os.access(anc, os.W_OK | os.X_OK):
        raise ValueError(f"cannot create {out}: {anc} is not a writable directory")
    return out


def write_result_dir(out: Path, files: dict[str, Callable[[Path], None]], *, overwrite: bool = False,
                     inputs=()) -> Path:
    """Write every file (name → writer(path)) and the ``MARKER`` into a sibling temporary directory, then move
    it into place as a whole: a failure (or Ctrl-C) leaves the previous ``out`` or nothing, never a mix.

    Placing is exclusive: one ``rename`` that succeeds only while ``out`` is missing or empty (POSIX), so two runs
    into the same new ``out`` never delete each other's result. If ``out`` appeared meanwhile, the result is kept
    beside it (``out.<time>-<pid>``) and ``ResultConflict`` names it; with ``overwrite``, an earlier result
    (marker present) is replaced, anything else refused."""
    out = check_output_dir(out, overwrite=overwrite, inputs=inputs)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name, write in files.items():
            write(tmp / name)
        (tmp / MARKER).write_text(dumps(dict(tool="ilo_solver", written=time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                                             files=sorted(files)), indent=1))
        os.chmod(tmp, 0o777 & ~_umask())
        if _place(tmp, out):
            return out
        if overwrite and is_result_dir(out):
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
            out.replace(old / out.name)
            placed = _place(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
            if placed:
                return out
        kept = out.with_name(f"{out.name}.{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}")
        tmp.replace(kept)
        raise ResultConflict(f"{out} was created by another run or program while this one worked"
                             + ("" if overwrite else " (pass --overwrite to replace an earlier result)")
                             + f"; this result is kept in {kept}")
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _place(tmp: Path, out: Path) -> bool:
    """``rename(tmp, out)``, atomic; False when ``out`` exists and is not empty (or not a directory)."""
    try:
        os.rename(tmp, out)
        return True
    except OSError as e:
        if e.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
            return False
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
