"""Results that re-render: the solution state an ``ilo solve`` result directory keeps (``state.safetensors``), and
``ilo render`` -- the reconstruction regenerated from it, bit for bit on the same machine.

The state (safetensors: tensors and string metadata, no pickle) holds the selected restart's code at its split and
its latent at split 0 (CSGM's answer, or the last line-5 back-projection), the split, the method's config, the prior's
spec and the **prior's checksum** -- the sha256 of the generator's weights in a fixed order (:func:`prior_checksum`)
-- so that a state is refused by a prior it was not made with. Rendering is :math:`G_{s\\to L}(\\hat h)` in float32
on the CPU, the computation the solver ended with; another CPU or library build may differ in the last bits of a
float (the tolerance ``ilo render`` states: 1 level in 8 bits at most, measured 0 here). On request, Algorithm 1's
line 5 (never run by the official code) projects the code back to the range, :math:`\\hat z=\\arg\\min_z
\\|G_{0\\to s}(z)-\\hat h\\|` from the stored latent, and renders :math:`G(\\hat z)`: the closest point of the range
itself. Supported: the layered-generator methods (``csgm``, ``ilo``, ``unconstrained`` of ``dcgan-faces``) and
``sgilo``, whose state is the selected chain's code samples ``[S, *code]`` (the reconstruction is the mean of their
images; line 5 does not apply to a posterior mean).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch

__all__ = ["STATE", "prior_checksum", "save_solution", "load_solution", "render", "compare_with_saved"]

STATE = "state.safetensors"


def prior_checksum(G: torch.nn.Module) -> str:
    """sha256 over the generator's state dict: each entry's name, dtype, shape and bytes, in sorted name order."""
    h = hashlib.sha256()
    for name, t in sorted(G.state_dict().items()):
        t = t.detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def save_solution(path: Path, result, *, prior_spec: str, G, method: str, config: dict) -> None:
    """Write the state of an :class:`~ilo_solver.solvers.ilo.ILOResult` (its selected restart) or of an
    :class:`~ilo_solver.solvers.sgilo.SGILOResult` (its selected chain's code samples, and the CSGM start's latent) to
    ``path``."""
    from safetensors.torch import save_file

    from .solvers.sgilo import SGILOResult
    if isinstance(result, SGILOResult):
        start = result.csgm
        tensors = {"code": result.codes.detach().cpu().clone(),
                   "z": start.z[start.best:start.best + 1].detach().cpu().clone()}
        split, kind = result.config.split, "posterior-mean"
    else:
        b = result.best
        tensors = {"code": result.code[b:b + 1].detach().cpu().clone(),    # clones: for CSGM z and code are one
                   "z": result.z[b:b + 1].detach().cpu().clone()}         # tensor, which safetensors refuses
        split, kind = result.split, "point"
    save_file(tensors, str(path), metadata=dict(split=str(split), prior=prior_spec, prior_sha256=prior_checksum(G),
                                                method=method, config=json.dumps(config), kind=kind,
                                                format="ilo-solution-1"))


def load_solution(path: Path) -> tuple[dict, dict]:
    """(tensors, metadata) of a saved state; a file that is not one is one clear error."""
    from safetensors import safe_open
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}   # noqa: SIM118 (safe_open has no __iter__)
    except Exception as e:   # safetensors raises its own error types besides OSError / ValueError
        raise ValueError(f"{path} is not a readable solution state: {e}") from None
    if meta.get("format") != "ilo-solution-1" or not {"code", "z"} <= set(tensors):
        raise ValueError(f"{path} is not an ilo solution state (format {meta.get('format')!r})")
    return tensors, meta


def render(result_dir: Path, *, G=None, project_back: int = 0) -> tuple[torch.Tensor, dict]:
    """The reconstruction ``[3, H, W]`` of ``result_dir`` regenerated from its state (with ``project_back`` > 0:
    Algorithm 1's line 5 run for that many Adam steps, and G(ẑ) rendered), and the state's metadata. ``G``: the
    prior (default: loaded from the state's spec); refused if its checksum differs from the state's."""
    path = Path(result_dir) / STATE
    if not path.is_file():
        raise ValueError(f"{result_dir} holds no {STATE} (results of ilo solve with csgm / ilo / unconstrained / "
                         "sgilo on dcgan-faces keep one; other methods do not yet)")
    tensors, meta = load_solution(path)
    if G is None:
        from . import presets
        G = presets.load_prior(meta["prior"], "cpu").layered()
    have = prior_checksum(G)
    if have != meta.get("prior_sha256"):
        raise ValueError(f"the prior {meta['prior']!r} loaded here has weights sha256 {have[:16]}..., the state "
                         f"was made with {str(meta.get('prior_sha256'))[:16]}...: a different generator; refusing to "
                         "render")
    split = int(meta["split"])
    if meta.get("kind") == "posterior-mean":            # SGILO: the mean of the chain's samples' images
        if project_back:
            raise ValueError("line 5 (--project-back) applies to a point estimate (csgm / ilo / unconstrained), not "
                             "to SGILO's posterior mean")
        with torch.no_grad():
            return G.forward_from(tensors["code"], split).mean(0), meta
    if project_back:
        from .solvers.ilo import project_back as line5
        cfg = json.loads(meta["config"])
        lr = float(cfg["rounds"][0]["lr"]) if cfg.get("rounds") else 0.05
        z = line5(G, tensors["z"], tensors["code"], split, int(project_back), lr) if split else tensors["z"]
        with torch.no_grad():
            return G(z)[0], meta
    with torch.no_grad():
        return G.forward_from(tensors["code"], split)[0], meta


def compare_with_saved(x: torch.Tensor, result_dir: Path) -> dict:
    """How a rendering ``x`` ``[3, H, W]`` compares with the result's ``reconstruction.png`` in 8-bit levels:
    ``identical`` and ``max_level_difference`` (empty when the result holds no reconstruction)."""
    import numpy as np
    from PIL import Image

    from .io.images import to_uint8
    saved = Path(result_dir) / "reconstruction.png"
    if not saved.is_file():
        return {}
    with Image.open(saved) as im:
        diff = np.abs(to_uint8(x).astype(int) - np.asarray(im.convert("RGB"), int))
    return dict(identical=bool(diff.max() == 0), max_level_difference=int(diff.max()))
