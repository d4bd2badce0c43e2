r"""The pretrained DCGAN face generator of ``gan-face-generate==1.1.1`` (PyTorch-tutorial architecture, 64×64 RGB,
z ∈ R^100, ngf = 64, trained on DigiFace-1M), behind the layered interface.

Blocks (split i is the input of block i): 0: ConvT(100→512, 4, 1, 0)+BN+ReLU → [512, 4, 4]; 1-3: ConvT(·, 4, 2, 1)
+BN+ReLU → [256, 8, 8], [128, 16, 16], [64, 32, 32]; 4: ConvT(64→3, 4, 2, 1)+tanh → [3, 64, 64] in [-1, 1].
The checkpoint is checked against its pinned sha256 and loaded with ``weights_only=True``; BatchNorm stays in eval
mode (running statistics), so each sample's output does not depend on the rest of the batch.
"""
from __future__ import annotations

import torch
from torch import nn

from ..io.assets import package_file
from .base import LayeredGenerator

__all__ = ["DCGANFaces", "load_dcgan_faces"]

_SHAPES = [(100, 1, 1), (512, 4, 4), (256, 8, 8), (128, 16, 16), (64, 32, 32), (3, 64, 64)]


class DCGANFaces(LayeredGenerator):
    def __init__(self, nz: int = 100, ngf: int = 64, nc: int = 3):
        super().__init__()
        chans = [nz, ngf * 8, ngf * 4, ngf * 2, ngf, nc]
        layers = []
        for i in range(5):
            layers.append(nn.ConvTranspose2d(chans[i], chans[i + 1], 4, 1 if i == 0 else 2, 0 if i == 0 else 1,
                                             bias=False))
            layers += [nn.BatchNorm2d(chans[i + 1]), nn.ReLU(True)] if i < 4 else [nn.Tanh()]
        self.main = nn.Sequential(*layers)  # same keys as the checkpoint: main.{0,1,3,4,6,7,9,10,12}
        self._starts = [0, 3, 6, 9, 12, 14]

    @property
    def num_blocks(self) -> int:
        return 5

    def latent_shape(self, i: int) -> tuple[int, ...]:
        return _SHAPES[self._check_split(i)]

    def block(self, i: int, h: torch.Tensor) -> torch.Tensor:
        for layer in self.main[self._starts[i]:self._starts[i + 1]]:
            h = layer(h)
        return h

    def train(self, mode: bool = True):
        return super().train(False)  # BatchNorm always uses the trained running statistics


def load_dcgan_faces(device: str | torch.device = "cpu") -> DCGANFaces:
    """The pretrained generator (sha256-checked, ``weights_only=True``), in eval mode, parameters frozen."""
    path = package_file("gan_face_generate", "weights.tar")
    state = torch.load(path, map_location="cpu", weights_only=True)["netG_state_dict"]
    G = DCGANFaces()
    G.load_state_dict(state)
    G.eval().requires_grad_(False)
    return G.to(device)
