r"""Euclidean projection onto the :math:`\ell_1` ball, :math:`P_z(v)=\arg\min_{\|w\|_1\le z}\|w-v\|_2`.

By the KKT conditions (docs/theory_notes.md §5) either :math:`\|v\|_1\le z` and :math:`P(v)=v`, or there is a unique
:math:`\theta>0` with :math:`w=\mathrm{sign}(v)\max(|v|-\theta,0)` and :math:`\sum_i\max(|v_i|-\theta,0)=z`.
The methods differ only in how they find θ:

``"fast"`` (default on CPU)
    numba kernels (``ilo_solver._l1_kernels``). Rows of 2^18 entries or more: a lower bound on θ just below a
    strided subsample's estimate, verified exactly, then vectorised parallel Newton passes (= Michelot's
    iteration) to the exact θ and a parallel soft threshold -- at n = 1e7 on a 2-core CPU 4.7x / 12.5x a copy into
    a preallocated tensor (many / few survivors; ``benchmarks/projection.py``). Shorter rows: all rows in one
    parallel call, Condat's θ per row (the solvers' batched codes).
    float32/float64; float16/bfloat16 inputs are projected in float32 and rounded once (half-precision sums
    overflow at 65504), by every CPU method.
``"condat"``
    Condat (Math. Program. 158, 2016), the sequential algorithm of docs/theory_notes.md §5, compiled with numba (CPU).
``"michelot"``
    Michelot's fixed point (J. Optim. Theory Appl. 50, 1986) with the compaction step that Condat
    (Math. Program. 158, 2016, §3) identifies as its key speed-up: start from :math:`\theta_0=(\sum u-z)/n`, drop
    every :math:`u_i\le\theta`, recompute :math:`\theta=(\sum_{kept}u-z)/|kept|`, repeat until nothing is dropped.
    θ increases monotonically to θ*, so dropped entries are never in the support; the arrays shrink geometrically
    in practice, giving about two to four memory passes (worst case :math:`O(n^2)`, like Condat's).
``"batched"`` (default on GPUs)
    Duchi's sort for the whole batch at once, with no host synchronisation: :math:`\rho` is the largest index
    that satisfies the condition (a masked maximum), θ a gather, the inside-the-ball and ``inf`` cases a ``where``.
    :math:`O(n\log n)` work, but every step is one kernel, so an optimisation loop that projects after each step
    never waits for the device (the other methods read θ or the norm back on the host).
``"sort"`` (readable reference)
    Duchi, Shalev-Shwartz, Singer, Chandra (ICML 2008), Fig. 1: sort, cumulative sums,
    :math:`\rho=\max\{j:\mu_j-(\sum_{r\le j}\mu_r-z)/j>0\}`, :math:`\theta=(\sum_{r\le\rho}\mu_r-z)/\rho`.
``"bisect"`` (independent oracle)
    Bisection on θ of the monotone :math:`\phi(\theta)=\sum\max(u-\theta,0)-z`, in float64, then one exact
    recomputation of θ on the identified support.

All act on ``v`` of shape ``[B, ...]``: each batch element is projected independently (float32/float64, any
device). ``radius`` is a float or a tensor of shape ``[B]``; ``inf`` means no constraint.
:class:`SegmentedL1Projector` projects several tensors of different sizes, each onto its own ball, in one
sync-free call (the ILO StyleGAN-2 loop's projections on a GPU).
"""
from __future__ import annotations

import math

import torch

from . import _l1_kernels as _k

__all__ = ["project_l1_ball", "project_l1_ball_around", "SegmentedL1Projector", "project_l2_ball", "renormalise",
           "renormalise_tensors_", "METHODS", "l1_balls_projector"]

METHODS = ("auto", "fast", "condat", "michelot", "batched", "sort", "bisect")


def _theta_michelot(u: torch.Tensor, z: float) -> torch.Tensor:
    """θ for one flattened, non-negative u with sum(u) > z > 0 (Michelot's iteration with compaction). Every pass
    but the last drops at least one entry, so at most ``u.numel()`` passes run; in a low-precision dtype where the
    sums round (float16 with a radius below its resolution), an empty or non-improving active set ends the loop."""
    theta = (u.sum() - z) / u.numel()
    for _ in range(u.numel()):
        u = u[u > theta]
        if u.numel() == 0:
            return theta
        new = (u.sum() - z) / u.numel()
        if not new > theta:
            return theta
        theta = new
    return theta


def _theta_michelot_fast(v: torch.Tensor, z: float) -> torch.Tensor:
    """θ for one flattened ``v`` with ||v||_1 > z > 0, touching the full array only twice.

    For any subset S, (Σ_S |v| − z)/|S| ≤ θ* (sum the KKT equation over S), so the exact θ of a strided
    subsample projected with the same z is a valid lower bound. Entries at or below it can never be in the
    support: one masked pass keeps the rest, and Michelot's iteration finishes on those few survivors."""
    n = v.numel()
    stride = max(1, n // 65536)
    lower = torch.zeros((), dtype=v.dtype, device=v.device)
    if stride > 1:
        sub = v[::stride].abs()
        if float(sub.sum()) > z:
            lower = _theta_michelot(sub, z)
    u = v[v.abs() > lower].abs()  # one compare pass + compaction
    return _theta_michelot(u, z)


def _theta_sort(u: torch.Tensor, z: float) -> torch.Tensor:
    mu = torch.sort(u, descending=True).values
    cs = torch.cumsum(mu, 0)
    j = torch.arange(1, mu.numel() + 1, device=u.device, dtype=u.dtype)
    ok = torch.nonzero(mu - (cs - z) / j > 0)
    rho = int(ok.max()) + 1 if ok.numel() else 1  # j = 1 always qualifies in exact arithmetic
    return (cs[rho - 1] - z) / rho


def _theta_segments(mu: torch.Tensor, seg, pos, starts, ends, r: torch.Tensor, finite: torch.Tensor):
    """θ per segment from the concatenated, within-segment descending magnitudes ``mu`` (float64): Duchi's
    condition on partial sums that restart in every segment; ρ a scatter-max of the qualifying 1-based positions
    ``pos``, θ a gather. Segments inside their ball, or with an infinite radius, get θ = 0. No host read.
    The one kernel behind both the ``batched`` method (equal rows) and :class:`SegmentedL1Projector`."""
    cs = torch.cumsum(mu, 0)
    cs = cs - (cs[starts] - mu[starts])[seg]           # partial sums restart in every segment
    rs = r[seg]
    ok = mu - (cs - rs) / pos > 0
    rho = torch.zeros_like(r).scatter_reduce(0, seg, torch.where(ok, pos.to(mu.dtype), 0.0), "amax").clamp_min(1)
    theta = ((cs[starts + rho.long() - 1] - r) / rho).clamp_min(0)
    return torch.where(finite & (cs[ends] > r), theta, torch.zeros_like(theta))


def _project_batched(flat: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
    """All rows of ``flat`` [B, n] at once, without reading anything back to the host: one row-wise sort, then
    :func:`_theta_segments` with one segment per row. ``r`` is the CPU float64 tensor of radii."""
    B, n = flat.shape
    dev = flat.device
    finite = torch.isfinite(r).to(dev)
    rr = torch.where(torch.isfinite(r), r, torch.zeros_like(r)).to(dev)
    mu = torch.sort(flat.abs(), dim=1, descending=True).values.reshape(-1).double()
    seg = torch.arange(B, device=dev).repeat_interleave(n)
    pos = torch.arange(1, n + 1, device=dev).repeat(B)
    starts = torch.arange(B, device=dev) * n
    theta = _theta_segments(mu, seg, pos, starts, starts + n - 1, rr, finite).to(flat.dtype)[:, None]
    return flat - torch.clamp(flat, -theta, theta)


def _theta_bisect(u: torch.Tensor, z: float) -> torch.Tensor:
    u64 = u.double()
    lo, hi = 0.0, float(u64.max())
    for _ in range(200):  # 2^-200 of the range: far below float64 resolution
        mid = 0.5 * (lo + hi)
        if float(torch.clamp(u64 - mid, min=0).sum()) > z:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-17 * max(hi, 1e-300):
            break
    support = u64 > lo
    theta = (u64[support].sum() - z) / support.sum()
    return theta.to(u.dtype)


_THETA = {"michelot": _theta_michelot_fast, "sort": _theta_sort, "bisect": _theta_bisect}
_NUMBA = ("fast", "condat")


_LARGE = 1 << 18   # rows at least this long take the sampled, vectorised path of ``fast`` (a 65536-entry subsample)


def _project_numba(flat: torch.Tensor, r: torch.Tensor, method: str, out: torch.Tensor) -> torch.Tensor:
    """The numba paths: ``fast`` on long rows = :func:`~ilo_solver._l1_kernels.sampled_theta` (vectorised Newton
    passes from a subsample's lower bound) and a parallel soft threshold; otherwise all rows in one parallel call
    with Condat's θ per row. The finiteness check rides on the l1 sum (a NaN or inf entry makes it non-finite)."""
    xn = flat.contiguous().numpy()
    on = out.numpy()   # may be xn itself (in place): every kernel reads entry i before it writes entry i
    if method == "fast" and xn.shape[1] >= _LARGE:
        for b in range(xn.shape[0]):
            rb = float(r[b])
            l1 = float(_k.abs_sum(xn[b]))
            if not math.isfinite(l1):
                raise ValueError("v has non-finite entries (NaN or inf): the projection is not defined")
            if math.isinf(rb) or l1 <= rb:
                on[b] = xn[b]
            elif rb == 0.0:
                on[b] = 0.0
            else:
                _k.soft_threshold_parallel(xn[b], _k.sampled_theta(xn[b], rb, l1), on[b])
        return out
    if not _k.project_rows(xn, r.numpy(), on):
        raise ValueError("v has non-finite entries (NaN or inf): the projection is not defined")
    return out


def _checked(v, radius, method: str) -> tuple[torch.Tensor, str]:
    """(radii [B] as CPU float64, the concrete method) after checking every argument of :func:`project_l1_ball`."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if not torch.is_tensor(v) or v.dim() < 1:
        raise ValueError(f"v must be a tensor of shape [B, ...], got {type(v).__name__} "
                         f"with shape {getattr(v, 'shape', None)}")
    if not v.dtype.is_floating_point:
        raise ValueError(f"v must be a floating-point tensor, got dtype {v.dtype}")
    B = v.shape[0]
    r = torch.as_tensor(radius, dtype=torch.float64).flatten()
    if r.numel() == 1:
        r = r.expand(B)
    if r.numel() != B:
        raise ValueError(f"radius must be a scalar or have one entry per batch element ({B}), got {r.numel()}")
    if torch.isnan(r).any() or (r < 0).any():
        raise ValueError(f"radius must be >= 0 (inf allowed), got {radius!r}")
    if v.numel() == 0:
        raise ValueError(f"v is empty (shape {list(v.shape)}): there is nothing to project")
    # a radius below the dtype's smallest positive number rounds to 0 in every sum: the projection is 0
    r = torch.where(r < torch.finfo(v.dtype).tiny, torch.zeros_like(r), r)
    cpu = v.device.type == "cpu"
    numba_ok = cpu and v.dtype in (torch.float32, torch.float64, torch.float16, torch.bfloat16)   # half: via fp32
    if method == "auto":
        method = "fast" if numba_ok else "michelot" if cpu else "batched"
    if method in _NUMBA and not numba_ok:
        raise ValueError(f"method {method!r} needs a float32/float64 CPU tensor, got {v.dtype} on {v.device}; "
                         "use 'michelot'")
    return r, method


def project_l1_ball(v: torch.Tensor, radius, *, method: str = "auto", out: torch.Tensor | None = None):
    r"""Project each ``v[b]`` onto :math:`\{w:\|w\|_1\le r_b\}` (see the module docstring for the methods).

    Returns a new tensor of the same shape, dtype and device (``v`` is not modified), or writes into ``out`` (a
    contiguous tensor like ``v``; ``out=v`` projects in place, as the solvers' loop does) and returns it."""
    r, method = _checked(v, radius, method)
    B = v.shape[0]
    if out is not None and (out.shape != v.shape or out.dtype != v.dtype or out.device != v.device
                            or not out.is_contiguous()):
        raise ValueError(f"out must be a contiguous tensor of v's shape, dtype and device ({list(v.shape)}, "
                         f"{v.dtype}, {v.device}), got {list(out.shape)}, {out.dtype}, {out.device}")
    if v.dtype in (torch.float16, torch.bfloat16) and method != "batched":
        # sums of half-precision magnitudes overflow (65504 in float16) and round: find θ in float32, round once
        res = project_l1_ball(v.float(), r, method=method).to(v.dtype)
        return res if out is None else out.copy_(res)
    flat = v.detach().reshape(B, -1)
    if method == "batched":   # no host read: non-finite entries propagate (NaN in, NaN out), they are not checked
        res = _project_batched(flat, r).reshape(v.shape)
        return res if out is None else out.copy_(res)
    target = torch.empty(flat.shape, dtype=flat.dtype, device=flat.device) if out is None else out.view(B, -1)
    (_project_numba if method in _NUMBA else _project_torch)(flat, r, method, target)
    return target.view(v.shape) if out is None else out


def _project_torch(flat: torch.Tensor, r: torch.Tensor, method: str, out: torch.Tensor) -> torch.Tensor:
    """The torch methods (``michelot``, ``sort``, ``bisect``), one row at a time, into ``out`` (may be ``flat``)."""
    if not bool(torch.isfinite(flat).all()):
        raise ValueError("v has non-finite entries (NaN or inf): the projection is not defined")
    l1 = torch.linalg.vector_norm(flat, ord=1, dim=1)  # one pass, no temporary
    for b in range(flat.shape[0]):
        rb = float(r[b])
        if math.isinf(rb) or float(l1[b]) <= rb:
            out[b] = flat[b]
        elif rb == 0.0:
            out[b] = 0
        else:
            theta = _THETA[method](flat[b] if method == "michelot" else flat[b].abs(), rb)
            # soft threshold sign(v) max(|v| - θ, 0) written as v - clamp(v, -θ, θ): two passes
            out[b] = flat[b] - torch.clamp(flat[b], -float(theta), float(theta))
    return out


def project_l1_ball_around(v: torch.Tensor, center: torch.Tensor, radius, *, method: str = "auto",
                           out: torch.Tensor | None = None):
    r""":math:`c+P_r(v-c)`: the projection onto the ball of radius r centred at c (the ILO code projects the
    *deviation* from the start-of-round value). The deviation is projected in place; ``out`` (may be ``v``) takes
    the result without a further allocation."""
    if v.shape != center.shape:
        raise ValueError(f"v and center must have the same shape, got {tuple(v.shape)} and {tuple(center.shape)}")
    d = v - center
    project_l1_ball(d, radius, method=method, out=d)
    return center + d if out is None else torch.add(center, d, out=out)


class SegmentedL1Projector:
    r"""Project several tensors at once, the i-th onto :math:`\{w:\|w-c_i\|_1\le r_i\}`, without host
    synchronisation and in a number of operations that does not grow with the number of tensors.

    Built once for fixed sizes and radii (an ILO round's variables), then called every step. The deviations are
    concatenated; two stable sorts (by magnitude, then by segment) put every segment's magnitudes in descending
    order at a fixed place; a float64 cumulative sum minus each segment's offset gives Duchi's partial sums; ρ per
    segment is a scatter-max of the qualifying positions, θ a gather; segments inside their ball (or with an infinite
    radius) keep θ = 0. The reference is :func:`project_l1_ball_around`, one tensor at a time (property-tested)."""

    def __init__(self, numels, radii, *, device=None):
        numels, radii = [int(n) for n in numels], [float(r) for r in radii]
        if len(numels) != len(radii) or not numels or min(numels) < 1:
            raise ValueError("need one positive size per radius, and at least one")
        if any(math.isnan(r) or r < 0 for r in radii):
            raise ValueError(f"radii must be >= 0 (inf allowed), got {radii}")
        S, N = len(numels), sum(numels)
        self.numels = numels
        seg = torch.repeat_interleave(torch.arange(S), torch.tensor(numels))
        starts = torch.tensor([0] + numels[:-1]).cumsum(0)
        self.seg = seg.to(device)                                        # segment of each entry (original order)
        self.pos = (torch.arange(N) - starts[seg] + 1).to(device)        # 1-based position after the sorts
        self.starts = starts.to(device)
        self.ends = (starts + torch.tensor(numels) - 1).to(device)
        r = torch.tensor(radii, dtype=torch.float64)
        self.finite = torch.isfinite(r).to(device)
        self.r = torch.where(torch.isfinite(r), r, torch.zeros_like(r)).to(device)

    def __call__(self, vs, centers) -> list[torch.Tensor]:
        if len(vs) != len(self.numels) or len(centers) != len(vs):
            raise ValueError(f"expected {len(self.numels)} tensors and centres, got {len(vs)} and {len(centers)}")
        for v, c, n in zip(vs, centers, self.numels, strict=True):
            if v.shape != c.shape or v.numel() != n:
                raise ValueError(f"tensor of shape {tuple(v.shape)} (centre {tuple(c.shape)}) does not match size {n}")
        d = torch.cat([t.reshape(-1) for t in torch._foreach_sub(list(vs), list(centers))])
        a, order = torch.sort(d.abs(), descending=True, stable=True)
        by_seg = torch.sort(self.seg[order], stable=True).indices        # segment-major, descending within
        theta = _theta_segments(a[by_seg].double(), self.seg, self.pos, self.starts, self.ends, self.r, self.finite)
        t = theta.to(d.dtype)[self.seg]
        out = d - torch.clamp(d, -t, t)
        parts = torch.split(out, self.numels)
        return torch._foreach_add(list(centers), [o.view_as(c) for c, o in zip(centers, parts, strict=True)])


def project_l2_ball(v: torch.Tensor, radius) -> torch.Tensor:
    r"""Each ``v[b]`` onto :math:`\{w:\|w\|_2\le r\}`: :math:`v\cdot\min(1, r/\|v\|_2)` (CSGM's latent ball
    :math:`B^k(r_1)` of Bora et al. 2017 and ILO Theorem 1). ``radius``: a float or a tensor broadcastable to
    ``[B]``; ``inf`` leaves ``v`` as it is. No host read."""
    r = torch.as_tensor(radius, dtype=v.dtype, device=v.device)
    scale = torch.clamp(r.reshape(-1) / v.flatten(1).norm(dim=1), max=1.0)
    return v * scale.view(-1, *[1] * (v.dim() - 1))


def renormalise(x: torch.Tensor, norms: torch.Tensor) -> torch.Tensor:
    """The sphere: rescale the last-dimension rows of ``x`` to ``norms`` (broadcastable to ``x.shape[:-1]``);
    PULSE's spherical step after every Adam step (Menon et al. 2020)."""
    return x * (norms / x.norm(dim=-1).clamp_min(1e-12)).unsqueeze(-1)


def renormalise_tensors_(tensors: list, norms: list) -> None:
    """In place: rescale each tensor to its norm, ``t *= norm / max(||t||, 1e-12)``, in four multi-tensor
    operations whatever the number of tensors (``_renormalise_each_`` is the one-at-a-time reference)."""
    if tensors:
        scale = torch._foreach_div(norms, torch._foreach_clamp_min(torch._foreach_norm(tensors), 1e-12))
        torch._foreach_mul_(tensors, scale)


def _renormalise_each_(tensors: list, norms: list) -> None:
    for t, nrm in zip(tensors, norms, strict=True):
        t.mul_(nrm / t.norm().clamp_min(1e-12))


def l1_balls_projector(centres, radii, *, method: str = "auto"):
    r"""An in-place map ``project(vs)`` that puts each ``vs[i]`` into :math:`\{w:\|w-c_i\|_1\le r_i\}` (``centres``
    copied now; radii ``inf`` are skipped) -- the one place the multi-tensor method is chosen: ``"segmented"``
    (:class:`SegmentedL1Projector`, one sync-free call for all tensors: accelerators), ``"per_tensor"``
    (:func:`project_l1_ball_around` per tensor: numba on the CPU), ``"auto"`` (segmented off the CPU)."""
    if method not in ("auto", "per_tensor", "segmented"):
        raise ValueError(f"method must be 'auto', 'per_tensor' or 'segmented', got {method!r}")
    finite = [i for i, r in enumerate(radii) if math.isfinite(r)]
    cs = [centres[i].detach().clone() for i in finite]
    device = cs[0].device if cs else torch.device("cpu")
    if method == "auto":
        method = "per_tensor" if device.type == "cpu" else "segmented"
    if method == "segmented" and finite:
        project_all = SegmentedL1Projector([c.numel() for c in cs], [radii[i] for i in finite], device=device)

        def project(vs):
            torch._foreach_copy_([vs[i] for i in finite], project_all([vs[i] for i in finite], cs))
    else:
        def project(vs):
            for i, c in zip(finite, cs, strict=True):   # in place, one projection per tensor
                project_l1_ball_around(vs[i].view(1, -1), c.view(1, -1), radii[i], out=vs[i].view(1, -1))
    return project
