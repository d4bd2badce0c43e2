"""``ilo train-prior``: train SGILO's score-based prior on a generator's intermediate codes -- parse,
``ilo_solver.runs.train_prior``."""
from __future__ import annotations

from pathlib import Path

from ._args import parser

NAME = "train-prior"


def add_parser(sub) -> None:
    t = parser(sub, NAME, "train a score-based prior on a generator's intermediate codes (SGILO)",
               "A score network (VP-SDE, denoising score matching) on the codes G_1(z), z ~ N(0, I), at --split. An "
               "interrupted run keeps OUT.ckpt and resumes from it when the same command is run again.",
               "ilo train-prior --split 1 --steps 2000 --out score.pt")
    t.add_argument("--prior", default="dcgan-faces", help="generator prior (dcgan-faces)")
    t.add_argument("--split", type=int, default=1, help="split point whose codes the prior models")
    t.add_argument("--steps", type=int, default=2000, help="training steps")
    t.add_argument("--batch", type=int, default=64, help="codes per step")
    t.add_argument("--width", type=int, default=128, help="hidden channels of the score network")
    t.add_argument("--depth", type=int, default=4, help="residual blocks of the score network")
    t.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate")
    t.add_argument("--seed", type=int, default=0, help="seed of the codes and the noise")
    t.add_argument("--out", type=Path, required=True, help="score model file (.pt; a .json config is written beside)")
    t.add_argument("--restart", action="store_true", help="ignore a checkpoint OUT.ckpt left by an interrupted run "
                   "(by default it is resumed, if its options are these)")
    t.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def interrupted(args) -> str:
    from ilo_solver import runs
    return (f"the last checkpoint {runs.checkpoint_path(args.out)} is kept: run the same command again to "
            "resume")


def run(args) -> dict:
    from ilo_solver import runs
    command = "ilo train-prior " + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items()
                                             if k not in ("command", "no_progress", "restart"))
    return runs.train_prior(args.prior, args.split, args.out, steps=args.steps, batch=args.batch, width=args.width,
                            depth=args.depth, lr=args.lr, seed=args.seed, command=command, restart=args.restart,
                            progress=not args.no_progress)
