"""The ``ilo`` command line: one module per subcommand (:mod:`.solve`, :mod:`.classify`, :mod:`.srec`,
:mod:`.convert`, :mod:`.train_prior`, :mod:`.train_classifier`), each ``add_parser(sub)`` + ``run(args) -> dict``:
parse, one library call, write the result through :mod:`ilo_solver.storage`. No decisions and no validation live
here: the library refuses bad values with a ``ValueError`` that :func:`~.main.main` prints as one line.

Import rule: the CLI may import every part of ``ilo_solver``; nothing in ``ilo_solver`` imports the CLI.
"""
from .main import build_parser, main

__all__ = ["main", "build_parser"]
