"""New files placed whole and exclusively: each is written to a temporary name beside it, then linked to its final
name with ``os.link`` -- which fails if that name exists -- so a file pair (weights + sidecar) never overwrites what
another run or another program put there meanwhile, and a failure leaves neither half."""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

__all__ = ["publish_new"]


def publish_new(files: dict[Path, Callable[[Path], None]]) -> None:
    """Write every file (final path -> writer(temporary path)) and place them all, or none: a final name that
    exists (before, or appearing meanwhile) is a ``ValueError`` and nothing of this call is left behind."""
    files = {Path(k): v for k, v in files.items()}
    taken = [str(p) for p in files if p.exists() or p.is_symlink()]
    if taken:
        raise ValueError(f"{', '.join(taken)} exists; not overwriting it")
    temps: dict[Path, Path] = {}
    placed: list[Path] = []
    try:
        for final, write in files.items():
            final.parent.mkdir(parents=True, exist_ok=True)
            tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
            temps[final] = tmp
            write(tmp)
        for final, tmp in temps.items():
            try:
                os.link(tmp, final)
            except FileExistsError:
                raise ValueError(f"{final} appeared while this run wrote it; not overwriting it") from None
            placed.append(final)
    except BaseException:
        for p in placed:
            p.unlink(missing_ok=True)
        raise
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
