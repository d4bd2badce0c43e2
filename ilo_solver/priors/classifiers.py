r"""Small Fashion-MNIST classifiers for classifier-guided generation (ILO paper §4, Figures 4-5), trained offline.

The paper guides ILO with a robust ImageNet classifier; no ImageNet weights exist offline, so the toolkit trains its
own on Fashion-MNIST (Xiao, Rasul, Vollgraf 2017; MIT licence; the Debian package ``dataset-fashion-mnist``), in two
versions:

- **standard**: cross-entropy on clean images;
- **robust**: PGD adversarial training (Madry, Makelov, Schmidt, Tsipras, Vladu, ICLR 2018, eq. 2.1, the min-max
  :math:`\min_\theta E\max_{\|\delta\|_2\le\varepsilon}\mathrm{CE}(f_\theta(x+\delta),y)`) with an :math:`\ell_2`
  ball, the threat model under which robust classifiers have perceptually aligned gradients (Santurkar et al.,
  NeurIPS 2019, the classifier family the ILO paper uses).

:class:`FashionClassifier` reads the generator's images (``[B, 3, H, W]`` in [-1, 1]): it converts them to grey
(ITU-R BT.601 luma), maps them to [0, 1] and resizes them to 28x28 (antialiased bilinear), then applies the CNN.
That front end is differentiable, so the classifier is a forward operator
(:class:`~ilo_solver.physics.operators.Classifier`) for the faces prior. Weights are stored as safetensors (no pickle)
with
a JSON sidecar (architecture, training command, test accuracies); the two shipped models are pinned by SHA-256 in
``PINNED_DATA``.
"""
from __future__ import annotations

import gzip
import json
import math
import os
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

__all__ = ["CLASSES", "class_index", "FashionNet", "FashionClassifier", "load_fashion_mnist", "pgd_l2",
           "train_classifier", "accuracy", "save_classifier", "load_classifier", "shipped_classifier",
           "DATA_ENV", "DEFAULT_DATA"]

#: the ten Fashion-MNIST labels, in label order (names as the CLI's ``--class`` takes them)
CLASSES = ("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot")
DATA_ENV = "ILO_FASHION_MNIST"
DEFAULT_DATA = Path("/usr/share/datasets/fashion-mnist")   # where `apt-get install dataset-fashion-mnist` puts it
_FILES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
          "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}


def class_index(name: str) -> int:
    """The label of class ``name`` (one of :data:`CLASSES`; case and '_'/' ' for '-' are tolerated)."""
    key = str(name).strip().lower().replace("_", "-").replace(" ", "-")
    if key not in CLASSES:
        raise ValueError(f"unknown class {name!r}; the Fashion-MNIST classes are {', '.join(CLASSES)}")
    return CLASSES.index(key)


# ------------------------------------------------------------------------------------------------------ data
#: the most bytes one decompressed IDX file may have (Fashion-MNIST's largest, the training images, has 47 MB): a
#: gzip bomb stops here instead of filling memory
MAX_IDX_BYTES = 64 * 2 ** 20


def _read_idx(path: Path, ndim: int) -> np.ndarray:
    """One IDX file (LeCun's format: magic 0x0000 08 ndim, big-endian int32 sizes, uint8 data), gzipped; read with a
    cap of :data:`MAX_IDX_BYTES`."""
    import zlib
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read(MAX_IDX_BYTES + 1)
    except (OSError, EOFError, zlib.error) as e:
        raise ValueError(f"{path} cannot be decompressed ({type(e).__name__}: {e})") from None
    if len(raw) > MAX_IDX_BYTES:
        raise ValueError(f"{path} decompresses to more than {MAX_IDX_BYTES // 2 ** 20} MiB: not a Fashion-MNIST file")
    if len(raw) < 4 + 4 * ndim or raw[:3] != b"\x00\x00\x08" or raw[3] != ndim:
        raise ValueError(f"{path} is not a uint8 IDX file with {ndim} dimensions")
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != math.prod(shape):
        raise ValueError(f"{path}: header says {shape} ({math.prod(shape)} bytes), the file holds {data.size}")
    return data.reshape(shape)


def load_fashion_mnist(split: str = "train", root: str | Path | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``(images [N, 1, 28, 28] float32 in [0, 1], labels [N] int64)`` of the ``train`` (60 000) or ``test``
    (10 000) split, from ``root`` (default: ``$ILO_FASHION_MNIST``, else the Debian package's directory)."""
    if split not in _FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    root = Path(root if root is not None else os.environ.get(DATA_ENV, DEFAULT_DATA))
    paths = [root / f for f in _FILES[split]]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise ValueError(f"Fashion-MNIST files not found: {', '.join(missing)}. Install the Debian package "
                         "(`apt-get install dataset-fashion-mnist`), or extract it without root (`dpkg -x "
                         "dataset-fashion-mnist_*.deb DIR`) and pass DIR/usr/share/datasets/fashion-mnist as the "
                         f"data directory (or set ${DATA_ENV})")
    images, labels = _read_idx(paths[0], 3), _read_idx(paths[1], 1)
    if images.shape[0] == 0:
        raise ValueError(f"{paths[0]} holds no images")
    if images.shape[0] != labels.shape[0] or images.shape[1:] != (28, 28) or labels.max() >= len(CLASSES):
        raise ValueError(f"{root}: images {images.shape} and labels {labels.shape} are not Fashion-MNIST")
    return (torch.from_numpy(images.astype(np.float32) / 255.0)[:, None],
            torch.from_numpy(labels.astype(np.int64)))


# ----------------------------------------------------------------------------------------------------- model
class FashionNet(nn.Module):
    """The 28x28 CNN: two conv blocks (``width``, ``2 width`` channels, 3x3, ReLU, 2x2 max-pool after each pair),
    a hidden layer of ``hidden`` units and 10 logits (the shape of Madry et al.'s MNIST network, smaller)."""

    def __init__(self, width: int = 16, hidden: int = 64):
        super().__init__()
        if not (1 <= width <= 512 and 1 <= hidden <= 4096):
            raise ValueError(f"width must lie in [1, 512] and hidden in [1, 4096], got {width}, {hidden}")
        self.width, self.hidden = int(width), int(hidden)
        w = self.width
        self.features = nn.Sequential(
            nn.Conv2d(1, w, 3, padding=1), nn.ReLU(), nn.Conv2d(w, w, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(w, 2 * w, 3, padding=1), nn.ReLU(), nn.Conv2d(2 * w, 2 * w, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(2 * w * 49, self.hidden), nn.ReLU(),
                                  nn.Linear(self.hidden, len(CLASSES)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))

    def config(self) -> dict:
        return dict(width=self.width, hidden=self.hidden)


class FashionClassifier(nn.Module):
    """Images ``[B, 3, H, W]`` in [-1, 1] → grey in [0, 1] → 28x28 → :class:`FashionNet` logits ``[B, 10]``."""

    LUMA = (0.299, 0.587, 0.114)   # ITU-R BT.601

    def __init__(self, net: FashionNet, kind: str = "custom"):
        super().__init__()
        self.net, self.kind = net, kind

    @staticmethod
    def to_fashion(x: torch.Tensor) -> torch.Tensor:
        """The front end alone: what the 28x28 network sees of a generator image (for figures and tests)."""
        if x.dim() != 4 or x.shape[1] not in (1, 3):
            raise ValueError(f"expects images [B, 3, H, W] (or [B, 1, H, W]) in [-1, 1], got {list(x.shape)}")
        if x.shape[1] == 3:
            x = (x * x.new_tensor(FashionClassifier.LUMA).view(1, 3, 1, 1)).sum(1, keepdim=True)
        g = (x + 1) / 2
        if g.shape[-2:] != (28, 28):
            g = F.interpolate(g, size=(28, 28), mode="bilinear", antialias=True, align_corners=False)
        return g

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(self.to_fashion(x))


# ------------------------------------------------------------------------------------------------- training
def pgd_l2(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, eps: float, steps: int, alpha: float | None = None,
           rng: torch.Generator | None = None) -> torch.Tensor:
    r"""The :math:`\ell_2` PGD attack of Madry et al. (2018) on images in [0, 1]: from a uniform random start in the
    ball (when ``rng`` is given; else from x), ``steps`` ascent steps of length ``alpha`` (default
    :math:`2.5\varepsilon/\mathrm{steps}`, their step rule) along the normalised gradient of the cross-entropy,
    each followed by projection onto :math:`\{\|\delta\|_2\le\varepsilon\}\cap[0,1]^n`. Returns x + δ (detached);
    the model's parameters get no gradient."""
    if not (eps >= 0 and math.isfinite(eps)) or steps < 0:
        raise ValueError(f"eps must be finite and >= 0 and steps >= 0, got {eps}, {steps}")
    alpha = 2.5 * eps / max(steps, 1) if alpha is None else alpha
    shape = (-1,) + (1,) * (x.dim() - 1)
    if rng is not None:
        d = torch.randn(x.shape, generator=rng, dtype=x.dtype).to(x.device)
        u = torch.rand(x.shape[0], generator=rng, dtype=x.dtype).to(x.device) ** (1.0 / x[0].numel())
        delta = d / d.flatten(1).norm(dim=1).clamp_min(1e-12).view(shape) * (eps * u).view(shape)
    else:
        delta = torch.zeros_like(x)
    delta = ((x + delta).clamp(0, 1) - x).detach()
    for _ in range(steps):
        delta.requires_grad_(True)
        loss = F.cross_entropy(model(x + delta), y)
        g, = torch.autograd.grad(loss, delta)      # the gradient in delta only: no parameter's .grad is touched
        with torch.no_grad():
            delta = delta + alpha * g / g.flatten(1).norm(dim=1).clamp_min(1e-12).view(shape)
            n = delta.flatten(1).norm(dim=1).view(shape)
            delta = delta * torch.clamp(eps / n.clamp_min(1e-12), max=1.0)
            delta = (x + delta).clamp(0, 1) - x
    return (x + delta).detach()


@torch.no_grad()
def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, *, eps: float = 0.0, steps: int = 0,
             batch: int = 500, rng: torch.Generator | None = None) -> float:
    """Top-1 accuracy of ``model`` (a :class:`FashionNet` on 28x28 images in [0, 1]); under the :func:`pgd_l2`
    attack when ``eps`` > 0."""
    correct = 0
    for i in range(0, len(images), batch):
        x, y = images[i:i + batch], labels[i:i + batch]
        if eps > 0:
            with torch.enable_grad():
                x = pgd_l2(model, x, y, eps=eps, steps=steps, rng=rng)
        correct += int((model(x).argmax(1) == y).sum())
    return correct / len(images)


def train_classifier(images: torch.Tensor, labels: torch.Tensor, *, epochs: int, eps: float = 0.0,
                     pgd_steps: int = 7, batch: int = 128, lr: float = 1e-3, width: int = 16, hidden: int = 64,
                     rng: torch.Generator, progress: bool = False) -> tuple[FashionNet, list[float]]:
    """Train a :class:`FashionNet` with Adam (``lr``, cosine-annealed to 0 over the run) on ``images`` in [0, 1].
    ``eps`` = 0: standard training; ``eps`` > 0: Madry et al.'s adversarial training, every batch replaced by its
    :func:`pgd_l2` attack (``pgd_steps`` steps, random start) against the current weights. Returns the model (in
    eval mode) and the per-step training loss."""
    if epochs < 1 or batch < 1 or not (lr > 0 and math.isfinite(lr)):
        raise ValueError(f"epochs >= 1, batch >= 1 and a finite lr > 0 are needed, got {epochs}, {batch}, {lr}")
    with torch.random.fork_rng(devices=[]):   # the initialisation, drawn from rng; the global generator untouched
        torch.manual_seed(int(torch.randint(0, 2 ** 31 - 1, (1,), generator=rng)))
        net = FashionNet(width, hidden)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    per_epoch = math.ceil(len(images) / batch)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * per_epoch)
    losses = []
    bar = tqdm(total=epochs * per_epoch, desc="train", disable=not progress, leave=False)
    for _ in range(epochs):
        order = torch.randperm(len(images), generator=rng)
        for i in range(per_epoch):
            idx = order[i * batch:(i + 1) * batch]
            x, y = images[idx], labels[idx]
            if eps > 0:
                net.eval()
                x = pgd_l2(net, x, y, eps=eps, steps=pgd_steps, rng=rng)
            net.train()
            loss = F.cross_entropy(net(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(float(loss.detach()))
            bar.update()
    bar.close()
    return net.eval(), losses


# --------------------------------------------------------------------------------------------------- storage
def save_classifier(net: FashionNet, path: str | Path, **meta) -> None:
    """Weights as safetensors (``path``, ending in .safetensors) + a JSON sidecar (``.json``: architecture + meta)."""
    from safetensors.torch import save_file
    path = Path(path)
    if path.suffix != ".safetensors":
        raise ValueError(f"the classifier file must end in .safetensors, got {path}")
    from ..io.files import publish_new
    publish_new({path: lambda p: save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(p)),
                 path.with_suffix(".json"): lambda p: p.write_text(json.dumps(dict(config=net.config(), **meta),
                                                                              indent=1) + "\n")})


def load_classifier(path: str | Path, kind: str = "custom") -> FashionClassifier:
    """A :class:`FashionClassifier` from a :func:`save_classifier` file pair (no pickle is read); a missing,
    malformed or mismatching file is one clear ValueError."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file
    path = Path(path)
    side = path.with_suffix(".json")
    if not path.is_file() or not side.is_file():
        raise ValueError(f"classifier {path} needs both {path.name} and {side.name} (written by "
                         "`ilo train-classifier`)")
    try:
        if side.stat().st_size > 2 ** 20:
            raise ValueError("over 1 MiB")
        c = json.loads(side.read_text())["config"]
        width, hidden = int(c["width"]), int(c["hidden"])
        if not (1 <= width <= 1024 and 1 <= hidden <= 65536):
            raise ValueError(f"width {width} or hidden {hidden} out of range")
        net = FashionNet(width, hidden)
    except (ValueError, KeyError, TypeError, RecursionError, OverflowError) as e:
        raise ValueError(f"{side} is not a classifier config: {str(e)[:200]}") from None
    try:
        state = load_file(str(path))
    except (SafetensorError, RuntimeError, OSError) as e:
        raise ValueError(f"{path} is not a readable safetensors file: {str(e).splitlines()[0][:300]}") from None
    bad = [k for k, v in state.items() if not v.is_floating_point() or not bool(torch.isfinite(v).all())]
    if bad:
        raise ValueError(f"{path}: weights must be finite floating point (not so: {', '.join(bad[:3])}); an integer "
                         "tensor would be cast silently")
    try:
        net.load_state_dict(state)
    except RuntimeError as e:
        raise ValueError(f"{path} does not hold the weights its config {side.name} describes: "
                         f"{str(e).splitlines()[0][:300]}") from None
    model = FashionClassifier(net.eval(), kind)
    for p in model.parameters():
        p.requires_grad_(False)
    return model.eval()


def shipped_classifier(kind: str) -> FashionClassifier:
    """The committed ``standard`` or ``robust`` classifier (``ilo_solver/data/fashion_{kind}.safetensors``), its
    weights and sidecar checked against ``PINNED_DATA``; the sidecar records the training
    command and the test accuracies, clean and under attack."""
    from ..io.assets import shipped_path
    if kind not in ("standard", "robust"):
        raise ValueError(f"the shipped classifiers are 'standard' and 'robust', got {kind!r}")
    return load_classifier(shipped_path(f"fashion_{kind}.safetensors", f"fashion_{kind}.json"), kind)


def train_and_save(*, out: Path, data: Path | None, epochs: int, eps: float, pgd_steps: int, eval_eps: float,
                   eval_steps: int, batch: int, lr: float, width: int, hidden: int, seed: int, command: str,
                   progress: bool = False) -> dict:
    """``ilo train-classifier``: load the data, train, measure clean and attacked test accuracy, write the pair."""
    if not (1 <= epochs <= 10_000 and 1 <= batch <= 65536 and math.isfinite(lr) and lr > 0 and pgd_steps >= 1
            and eval_steps >= 0):
        raise ValueError("--epochs must lie in [1, 10000], --batch in [1, 65536], --lr be finite and > 0, "
                         "--pgd-steps >= 1 and --eval-steps >= 0")
    for name, v in (("--eps", eps), ("--eval-eps", eval_eps)):
        if not (math.isfinite(v) and v >= 0):
            raise ValueError(f"{name} must be finite and >= 0, got {v}")
    out = Path(out)
    if out.exists() or out.with_suffix(".json").exists():
        raise ValueError(f"{out} (or its .json) exists; not overwriting it")
    if out.suffix != ".safetensors":
        raise ValueError(f"--out must end in .safetensors, got {out}")
    train_x, train_y = load_fashion_mnist("train", data)
    test_x, test_y = load_fashion_mnist("test", data)
    rng = torch.Generator().manual_seed(seed)
    t0 = time.perf_counter()
    net, losses = train_classifier(train_x, train_y, epochs=epochs, eps=eps, pgd_steps=pgd_steps, batch=batch, lr=lr,
                                   width=width, hidden=hidden, rng=rng, progress=progress)
    seconds = time.perf_counter() - t0
    clean = accuracy(net, test_x, test_y)
    attacked = accuracy(net, test_x, test_y, eps=eval_eps, steps=eval_steps, rng=torch.Generator().manual_seed(1))
    meta = dict(kind="robust" if eps > 0 else "standard", dataset="Fashion-MNIST (Xiao et al. 2017, MIT)",
                seed=seed, epochs=epochs, train_eps_l2=eps, train_pgd_steps=pgd_steps, batch=batch, lr=lr,
                seconds=seconds, threads=torch.get_num_threads(), torch=torch.__version__,
                test_accuracy=clean, attack=dict(norm="l2", eps=eval_eps, steps=eval_steps, restarts=1,
                                                 step="2.5 eps / steps", accuracy=attacked),
                final_loss=float(np.mean(losses[-100:])), command=command)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_classifier(net, out, **meta)
    return meta
