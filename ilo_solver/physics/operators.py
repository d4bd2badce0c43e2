r"""Forward operators :math:`y=\mathcal A(x)` (deepinv-style): small classes with ``A``, ``A_adjoint`` (linear ones),
``in_shape``/``out_shape``, and explicit ``torch.Generator`` randomness. One registry, ``OPERATORS``, feeds the
generic tests (adjointness, linearity, dtype, odd sizes, dense oracle).

Inputs are batched ``[B, *in_shape]``; each operator acts per sample. Noise is added by :meth:`Operator.measure`.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["Operator", "LinearOperator", "Identity", "Denoising", "Inpainting", "SuperResolution", "GaussianCS",
           "PartialCirculant", "Classifier", "Composition", "OPERATORS", "box_mask", "random_mask"]


def _shape(s) -> tuple[int, ...]:
    s = tuple(int(v) for v in s)
    if not s or any(v < 1 for v in s):
        raise ValueError(f"in_shape must be a non-empty tuple of positive ints, got {s}")
    return s


def _shape_checked(f, attr: str, name: str):
    @functools.wraps(f)
    def checked(self, x):
        want = getattr(self, attr)
        if not torch.is_tensor(x) or tuple(x.shape[1:]) != tuple(want):
            raise ValueError(f"{type(self).__name__}.{name} expects inputs of shape [B, {', '.join(map(str, want))}]"
                             f", got {list(getattr(x, 'shape', [type(x).__name__]))}")
        return f(self, x)
    checked._shape_checked = True
    return checked


class Operator(torch.nn.Module):
    """y = A(x); ``in_shape``/``out_shape`` exclude the batch dimension."""

    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]

    def __init_subclass__(cls, **kw):
        """Every subclass's ``A`` and ``A_adjoint`` check their input's shape (``[B, *in_shape]`` and
        ``[B, *out_shape]``): calling ``op.A(x)`` directly gets the same clear error as ``op(x)``."""
        super().__init_subclass__(**kw)
        for name, attr in (("A", "in_shape"), ("A_adjoint", "out_shape")):
            f = cls.__dict__.get(name)
            if f is not None and not getattr(f, "_shape_checked", False):
                setattr(cls, name, _shape_checked(f, attr, name))

    def A(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    @property
    def fill_mask(self) -> torch.Tensor | None:
        """For inpainting, the pixel mask (the observation is then the image with its unobserved pixels zeroed, and
        the data fit compares whole images with the holes filled, :func:`~ilo_solver.fit.losses.lpips_fill`);
        None for every other operator."""
        return None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.A(x)

    def measure(self, x: torch.Tensor, sigma: float = 0.0, *, rng: torch.Generator | None = None):
        """y = A(x) + sigma * noise, noise ~ N(0, I) drawn from ``rng``."""
        if not (isinstance(sigma, (int, float)) and math.isfinite(sigma) and sigma >= 0):
            raise ValueError(f"sigma must be finite and >= 0, got {sigma!r}")
        y = self(x)
        if sigma > 0:
            y = y + sigma * torch.randn(y.shape, generator=rng, dtype=y.dtype, device="cpu").to(y.device)
        return y


class LinearOperator(Operator):
    """A linear operator with an explicit adjoint; ``dense()`` gives its matrix (tests, small sizes only)."""

    def A_adjoint(self, y: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def dense(self, dtype=torch.float64) -> torch.Tensor:
        """Matrix of A by applying it to the standard basis (O(n) applications: small sizes only)."""
        n = math.prod(self.in_shape)
        eye = torch.eye(n, dtype=dtype).reshape(n, *self.in_shape)
        return self.A(eye).reshape(n, -1).T


class Identity(LinearOperator):
    def __init__(self, in_shape):
        super().__init__()
        self.in_shape = self.out_shape = _shape(in_shape)

    def A(self, x):
        return x

    def A_adjoint(self, y):
        return y


class Denoising(Identity):
    """y = x + sigma * noise; ``sigma`` is the default noise level of :meth:`measure`."""

    def __init__(self, in_shape, sigma: float = 0.1):
        super().__init__(in_shape)
        if sigma < 0:
            raise ValueError(f"sigma must be >= 0, got {sigma}")
        self.sigma = float(sigma)

    def measure(self, x, sigma: float | None = None, *, rng=None):
        return super().measure(x, self.sigma if sigma is None else sigma, rng=rng)


def random_mask(in_shape, observed: float, *, rng: torch.Generator) -> torch.Tensor:
    """Pixel mask keeping a fraction ``observed`` of pixels (shared across channels of a [C, H, W] image)."""
    in_shape = _shape(in_shape)
    if not 0 < observed <= 1:
        raise ValueError(f"observed must lie in (0, 1], got {observed}")
    spatial = in_shape[1:] if len(in_shape) == 3 else in_shape
    m = (torch.rand(spatial, generator=rng) < observed).to(torch.float32)
    if not m.any():
        raise ValueError(f"observed = {observed} kept no pixel of {tuple(spatial)}: nothing would be measured; "
                         "raise the fraction")
    return m.expand(in_shape).clone()


def box_mask(in_shape, top: int, left: int, height: int, width: int) -> torch.Tensor:
    """Mask that hides the box [top:top+height, left:left+width] of a [C, H, W] image. The box must lie inside
    the image (a box that sticks out is taken for a coordinate mistake, not clipped) and leave a pixel observed."""
    in_shape = _shape(in_shape)
    if len(in_shape) != 3:
        raise ValueError(f"box_mask needs a [C, H, W] shape, got {in_shape}")
    _, H, W = in_shape
    if not (top >= 0 and left >= 0 and height > 0 and width > 0 and top + height <= H and left + width <= W):
        raise ValueError(f"box (top {top}, left {left}, height {height}, width {width}) does not lie inside the "
                         f"{H}x{W} image")
    if height == H and width == W:
        raise ValueError(f"the box hides the whole {H}x{W} image: nothing would be observed")
    m = torch.ones(in_shape)
    m[:, top:top + height, left:left + width] = 0
    return m


class Inpainting(LinearOperator):
    """y = mask ⊙ x (unobserved entries are 0; the adjoint is the same diagonal)."""

    def __init__(self, mask: torch.Tensor):
        super().__init__()
        if not torch.all((mask == 0) | (mask == 1)):
            raise ValueError("mask must contain only 0 and 1")
        if not bool(mask.any()):
            raise ValueError("mask observes no pixel (all zeros): there is nothing to fit")
        self.register_buffer("mask", mask.clone())
        self.in_shape = self.out_shape = tuple(mask.shape)

    @property
    def fill_mask(self) -> torch.Tensor:
        return self.mask

    def A(self, x):
        return x * self.mask.to(x.dtype)

    def A_adjoint(self, y):
        return y * self.mask.to(y.dtype)


class SuperResolution(LinearOperator):
    """Bicubic downsampling by an integer ``factor`` with antialiasing (matches PIL bicubic within 1/255,
    docs/environment_notes.md); any image size divisible by the factor, square or not. The adjoint is the exact
    vector-Jacobian
    product of this linear map."""

    def __init__(self, in_shape, factor: int):
        super().__init__()
        self.in_shape = _shape(in_shape)
        if len(self.in_shape) != 3:
            raise ValueError(f"SuperResolution needs a [C, H, W] shape, got {self.in_shape}")
        if int(factor) != factor or factor < 1:
            raise ValueError(f"factor must be a positive integer, got {factor!r}")
        C, H, W = self.in_shape
        if H % factor or W % factor:
            raise ValueError(f"image size {H}x{W} is not divisible by factor {factor}")
        if min(H, W) // factor < 2:
            raise ValueError(f"factor {factor} leaves a {H // factor}x{W // factor} observation of a {H}x{W} image: "
                             "at least 2 pixels on each side are needed")
        self.factor = int(factor)
        self.out_shape = (C, H // factor, W // factor)

    def A(self, x):
        return F.interpolate(x, size=self.out_shape[1:], mode="bicubic", antialias=True, align_corners=False)

    def A_adjoint(self, y):
        x0 = torch.zeros((y.shape[0], *self.in_shape), dtype=y.dtype, device=y.device, requires_grad=True)
        with torch.enable_grad():
            (g,) = torch.autograd.grad(self.A(x0), x0, grad_outputs=y)
        return g


class GaussianCS(LinearOperator):
    r"""Compressed sensing with :math:`A_{ij}\sim N(0,1/m)` so that :math:`E\|Ax\|^2=\|x\|^2` (docs/theory_notes.md
    conventions)."""

    def __init__(self, in_shape, m: int, *, rng: torch.Generator, dtype=torch.float32):
        super().__init__()
        self.in_shape = _shape(in_shape)
        n = math.prod(self.in_shape)
        if not m >= 1:
            raise ValueError(f"m must be >= 1, got {m}")
        self.out_shape = (int(m),)
        self.register_buffer("matrix", torch.randn(m, n, generator=rng, dtype=torch.float64).to(dtype)
                             / math.sqrt(m))

    @classmethod
    def from_matrix(cls, matrix: torch.Tensor, in_shape=None) -> GaussianCS:
        """The operator of a given ``[m, n]`` matrix (e.g. one drawn in a batch of instances); ``in_shape`` defaults
        to ``(n,)``."""
        if matrix.dim() != 2 or not torch.isfinite(matrix).all():
            raise ValueError(f"matrix must be a finite [m, n] tensor, got shape {list(matrix.shape)}")
        in_shape = _shape((matrix.shape[1],) if in_shape is None else in_shape)
        if math.prod(in_shape) != matrix.shape[1]:
            raise ValueError(f"in_shape {in_shape} does not have the matrix's {matrix.shape[1]} columns")
        op = cls.__new__(cls)
        LinearOperator.__init__(op)
        op.in_shape, op.out_shape = in_shape, (int(matrix.shape[0]),)
        op.register_buffer("matrix", matrix.detach().clone())
        return op

    def A(self, x):
        return x.reshape(x.shape[0], -1) @ self.matrix.to(x.dtype).T

    def A_adjoint(self, y):
        return (y @ self.matrix.to(y.dtype)).reshape(y.shape[0], *self.in_shape)

    def dense(self, dtype=torch.float64):
        return self.matrix.to(dtype)


class PartialCirculant(LinearOperator):
    r"""Partial circulant with random signs (ILO Lemma 1; docs/theory_notes.md §4):

    .. math:: Ax=\tfrac{1}{\sqrt m}\,\big[g\circledast(\xi\odot x)\big]_\Omega,\qquad
              (g\circledast v)_i=\sum_j g_{(i-j)\bmod n}v_j,

    computed with real FFTs in O(n log n) time and O(n) memory, for any n (e.g. 3·1024·1024).

    Attributes (enough to rebuild the dense oracle ``P_Ω · scipy.linalg.circulant(filter) · diag(signs) / √m``):
    ``filter`` g ~ N(0, I_n); ``signs`` ξ ∈ {±1}^n; ``rows`` Ω, m distinct indices drawn without replacement
    (sorted). Every row is a signed cyclic shift of g, so :math:`E\|Ax\|^2=\|x\|^2` for every x.
    """

    def __init__(self, in_shape, m: int, *, rng: torch.Generator, dtype=torch.float32):
        super().__init__()
        self.in_shape = _shape(in_shape)
        n = math.prod(self.in_shape)
        if not 1 <= m <= n:
            raise ValueError(f"m must lie in [1, n={n}], got {m}")
        self.n, self.m = n, int(m)
        self.out_shape = (self.m,)
        g = torch.randn(n, generator=rng, dtype=torch.float64)
        signs = torch.randint(0, 2, (n,), generator=rng).to(torch.float64) * 2 - 1
        rows = torch.sort(torch.randperm(n, generator=rng)[:m]).values
        self.register_buffer("filter", g.to(dtype))
        self.register_buffer("signs", signs.to(dtype))
        self.register_buffer("rows", rows)
        self._spectra: dict = {}

    def _ghat(self, dtype, device, conj: bool = False) -> torch.Tensor:
        """rfft(g) (or its conjugate), cached per dtype, device and filter version. The cache is a plain dict,
        not a buffer: ``Module.to(float32)`` would cast a complex buffer to real silently (keeping only the real
        part); a changed filter (in place, or moved) has a new version or storage and is transformed afresh."""
        f = self.filter
        key = (dtype, torch.device(device), f.device, f._version, f.data_ptr(), conj)
        spec = self._spectra.get(key)
        if spec is None:
            with torch.no_grad():
                spec = torch.fft.rfft(f.to(device=device, dtype=dtype))
                spec = torch.conj(spec).resolve_conj() if conj else spec
            self._spectra = {k: v for k, v in self._spectra.items() if k[1:5] == key[1:5]}   # drop stale ones
            self._spectra[key] = spec
        return spec

    def A(self, x):
        v = x.reshape(x.shape[0], -1) * self.signs.to(x.dtype)
        spec = torch.fft.rfft(v)
        spec.mul_(self._ghat(x.dtype, x.device))   # in place (rfft's backward does not need its output): one
        conv = torch.fft.irfft(spec, n=self.n)     # buffer of n/2 complex numbers fewer per call
        return conv[:, self.rows] / math.sqrt(self.m)   # the scale after the gather: m entries, not n

    def A_adjoint(self, y):
        u = torch.zeros(y.shape[0], self.n, dtype=y.dtype, device=y.device)
        u[:, self.rows] = y / math.sqrt(self.m)   # the scale before the scatter: m entries, not n
        spec = torch.fft.rfft(u)
        spec.mul_(self._ghat(y.dtype, y.device, conj=True))
        corr = torch.fft.irfft(spec, n=self.n)
        return corr.mul_(self.signs.to(y.dtype)).reshape(y.shape[0], *self.in_shape)

    def dense_oracle(self) -> np.ndarray:
        """The dense matrix rebuilt from the documented attributes with scipy (independent of the FFT path)."""
        from scipy.linalg import circulant
        C = circulant(self.filter.double().numpy())
        return C[self.rows.numpy()] * self.signs.double().numpy()[None, :] / math.sqrt(self.m)


class Classifier(Operator):
    """Classifier guidance (ILO paper §4, Figs. 4-5): y = the logits of any differentiable ``nn.Module`` (non-linear,
    no adjoint); the data fit compares them with a target class distribution
    (:func:`~ilo_solver.fit.losses.cross_entropy`). ``reference`` (optional, ``in_shape``, or ``[B, *in_shape]`` for one
    per restart): the image a morph stays close to (the fit's ``anchor_weight`` term); :meth:`target` builds the
    one-hot observation."""

    def __init__(self, module: torch.nn.Module, in_shape, num_classes: int, reference: torch.Tensor | None = None):
        super().__init__()
        self.module = module
        self.in_shape = _shape(in_shape)
        self.out_shape = (int(num_classes),)
        if reference is not None:
            if tuple(reference.shape) == self.in_shape:
                reference = reference[None]
            if reference.dim() != len(self.in_shape) + 1 or tuple(reference.shape[1:]) != self.in_shape:
                dims = ", ".join(map(str, self.in_shape))
                raise ValueError(f"reference must have shape [{dims}] (or [B, {dims}], one per restart), got "
                                 f"{list(reference.shape)}")
        self.register_buffer("_reference", reference)

    @property
    def reference(self) -> torch.Tensor | None:
        return self._reference

    def target(self, index, dtype=torch.float32) -> torch.Tensor:
        """The observation "class ``index``": a one-hot ``[1, num_classes]``; a sequence of indices gives one row
        each (``[B, num_classes]``, one problem per restart)."""
        idx = torch.as_tensor(index, dtype=torch.long).reshape(-1)
        if idx.numel() == 0 or bool(((idx < 0) | (idx >= self.out_shape[0])).any()):
            raise ValueError(f"class index must lie in [0, {self.out_shape[0] - 1}], got {index}")
        return F.one_hot(idx, self.out_shape[0]).to(dtype)

    def A(self, x):
        return self.module(x)


class Composition(LinearOperator):
    """A = A_k ∘ ... ∘ A_1 (``ops`` in application order); linear if every part is."""

    def __init__(self, ops: Sequence[Operator]):
        super().__init__()
        if not ops:
            raise ValueError("Composition needs at least one operator")
        for a, b in zip(ops, ops[1:], strict=False):
            if a.out_shape != b.in_shape:
                raise ValueError(f"cannot compose: {type(a).__name__} outputs {a.out_shape}, "
                                 f"{type(b).__name__} expects {b.in_shape}")
        self.ops = torch.nn.ModuleList(ops)
        self.in_shape, self.out_shape = ops[0].in_shape, ops[-1].out_shape

    def A(self, x):
        for op in self.ops:
            x = op.A(x)
        return x

    def A_adjoint(self, y):
        for op in reversed(self.ops):
            if not isinstance(op, LinearOperator):
                raise TypeError(f"{type(op).__name__} is not linear: the composition has no adjoint")
            y = op.A_adjoint(y)
        return y


# name -> factory(in_shape [C,H,W], generator): the registry the generic tests loop over.
OPERATORS: dict[str, Callable[[tuple, torch.Generator], Operator]] = {
    "identity": lambda s, g: Identity(s),
    "denoise": lambda s, g: Denoising(s, sigma=0.1),
    "inpaint-random": lambda s, g: Inpainting(random_mask(s, 0.3, rng=g)),
    "inpaint-box": lambda s, g: Inpainting(box_mask(s, s[1] // 4, s[2] // 4, s[1] // 2, s[2] // 2)),
    "superres": lambda s, g: SuperResolution(s, 1 if (s[1] % 2 or s[2] % 2) else 2),
    "cs-gaussian": lambda s, g: GaussianCS(s, max(1, math.prod(s) // 4), rng=g),
    "cs-circulant": lambda s, g: PartialCirculant(s, max(1, math.prod(s) // 4), rng=g),
    "composition": lambda s, g: Composition([Inpainting(random_mask(s, 0.5, rng=g)),
                                             PartialCirculant(s, max(1, math.prod(s) // 3), rng=g)]),
}
