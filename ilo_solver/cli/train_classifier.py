"""``ilo train-classifier``: train the Fashion-MNIST classifier that guides ``ilo classify`` (standard, or robust by
l2 PGD adversarial training) -- parse, ``ilo_solver.priors.classifiers.train_and_save``."""
from __future__ import annotations

from pathlib import Path

from ._args import parser

NAME = "train-classifier"


def add_parser(sub) -> None:
    k = parser(sub, NAME, "train the Fashion-MNIST classifier that guides `ilo classify`",
               "Standard training, or robust training by l2 PGD (Madry et al. 2018) in the ball of radius --eps. "
               "Clean and attacked test accuracy are measured and written into the .json sidecar with the command.",
               "ilo train-classifier --robust --eps 1.5 --out fashion_robust.safetensors")
    k.add_argument("--robust", action="store_true", help="PGD adversarial training in the l2 ball of radius --eps")
    k.add_argument("--eps", type=float, default=1.5, help="--robust: l2 radius of the training attack, on 28x28 "
                   "images in [0, 1]")
    k.add_argument("--pgd-steps", type=int, default=7, help="--robust: PGD steps of the training attack")
    k.add_argument("--eval-eps", type=float, default=1.5, help="l2 radius of the test-time attack")
    k.add_argument("--eval-steps", type=int, default=20, help="PGD steps of the test-time attack")
    k.add_argument("--epochs", type=int, default=8)
    k.add_argument("--batch", type=int, default=128)
    k.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (cosine-annealed to 0)")
    k.add_argument("--width", type=int, default=16, help="channels of the first conv block (the second has 2x)")
    k.add_argument("--hidden", type=int, default=64, help="units of the hidden dense layer")
    k.add_argument("--seed", type=int, default=0, help="seed of the initialisation, the batches and the attacks")
    k.add_argument("--data", type=Path, default=None, help="directory of the Fashion-MNIST idx .gz files (default: "
                   "$ILO_FASHION_MNIST, else /usr/share/datasets/fashion-mnist)")
    k.add_argument("--out", type=Path, required=True, help="weights file (.safetensors; a .json is written beside)")
    k.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def run(args) -> dict:
    from ilo_solver.priors.classifiers import train_and_save
    opts = [f"--epochs {args.epochs}", f"--batch {args.batch}", f"--lr {args.lr:g}", f"--width {args.width}",
            f"--hidden {args.hidden}", f"--seed {args.seed}", f"--eval-eps {args.eval_eps:g}",
            f"--eval-steps {args.eval_steps}"]
    if args.robust:
        opts = ["--robust", f"--eps {args.eps:g}", f"--pgd-steps {args.pgd_steps}"] + opts
    return train_and_save(out=args.out, data=args.data, epochs=args.epochs, eps=args.eps if args.robust else 0.0,
                          pgd_steps=args.pgd_steps, eval_eps=args.eval_eps, eval_steps=args.eval_steps,
                          batch=args.batch, lr=args.lr, width=args.width, hidden=args.hidden, seed=args.seed,
                          command="ilo train-classifier " + " ".join(opts) + f" --out {args.out.name}",
                          progress=not args.no_progress)
