"""``ilo convert``: a StyleGAN-2 checkpoint (.pt, NVIDIA .pkl, .safetensors) written as .safetensors."""
from __future__ import annotations

from pathlib import Path

from ._args import parser

NAME = "convert"


def add_parser(sub) -> None:
    c = parser(sub, NAME, "write a StyleGAN-2 checkpoint (.pt, NVIDIA .pkl, .safetensors) as .safetensors",
               "The checkpoint is read without executing anything in it; the output holds the generator's weights, "
               "its w_avg and its configuration, and is refused if it exists.",
               "ilo convert stylegan2-ffhq-config-f.pkl ffhq.safetensors")
    c.add_argument("checkpoint", type=Path, help="the checkpoint to read (never executed)")
    c.add_argument("out", type=Path, help="output file, ending in .safetensors")


def run(args) -> dict:
    from ilo_solver.generators.checkpoints import convert_checkpoint
    return convert_checkpoint(args.checkpoint, args.out)
