"""``ilo``: the entry point that assembles the subcommands and turns a library refusal into one line (exit 2)."""
from __future__ import annotations

import argparse
import sys

from . import classify, convert, render, solve, srec, train_classifier, train_prior
from ._args import Help, emit

COMMANDS = {m.NAME: m for m in (solve, render, classify, srec, convert, train_prior, train_classifier)}


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="ilo", formatter_class=Help,
        description="Intermediate Layer Optimization (Daras et al., ICML 2021) and Score-Guided ILO (ICML 2022) for "
                    "inverse problems with pretrained generators.",
        epilog="examples:\n  ilo solve --image astronaut --task inpaint --observed 0.2 --method ilo --out out/\n"
               "  ilo srec --splits 0,1 --out srec/\n\n'ilo COMMAND --help' for each command's options.")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for mod in COMMANDS.values():
        mod.add_parser(sub)
    return ap


def main(argv=None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    mod = COMMANDS[args.command]
    try:
        summary = mod.run(args)
    except ValueError as e:
        ap.exit(2, f"ilo: error: {e}\n")
    except OSError as e:   # an output that cannot be written (read-only, under a file, disk full): said, not a trace
        ap.exit(2, f"ilo: error: {e.strerror or e}: {e.filename or ''}\n")
    except KeyboardInterrupt:
        ap.exit(130, f"ilo: interrupted; {getattr(mod, 'interrupted', lambda a: 'nothing was written')(args)}\n")
    emit(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
