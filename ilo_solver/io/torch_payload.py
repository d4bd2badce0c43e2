"""Reading ``torch.save`` payloads without trusting them: the zip format's records and the legacy format's declared
storages are size-checked against the bytes that carry them and a limit
(:func:`~ilo_solver.io.torch_payload.check_torch_payload`), every pickle
inside is opcode-scanned first (:mod:`.pickle_scan`: nesting, container sizes, memo amplification), and only then does
``torch.load(weights_only=True)`` see the file (:func:`safe_torch_load`). The errors every reader of this package
raises live here too (:class:`~ilo_solver.io.torch_payload.UnsafePickleError`, :class:`MalformedPickle`).
:mod:`.safe_pickle` builds on this for
NVIDIA network pickles.
"""
from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path

import torch

__all__ = ["UnsafePickleError", "MalformedPickle", "scanned", "check_torch_payload", "safe_torch_load",
           "torch_refusal_reason", "first_line", "MAX_TENSOR_BYTES"]

#: the largest total size of the tensors one file may declare (the 1024² FFHQ StyleGAN-2 snapshot holds ~0.4 GB)
MAX_TENSOR_BYTES = 16 * 2 ** 30


class UnsafePickleError(ValueError):
    """The pickle asks for something outside the allow-list (with a permissive loader it would have run code,
    corrupted memory, changed a class or allocated what the file asked)."""


class MalformedPickle(ValueError):
    """The opcode stream is not a well-formed pickle (truncated, an opcode where none exists, a stack or memo entry
    used before it was made)."""


def scanned(data, *, pickles: int | None = 1, what: str = "pickle") -> None:
    """:func:`~ilo_solver.io.pickle_scan.scan_pickle` of ``data`` (bytes, or a stream at its position: it is
    advanced past the pickles), before any unpickler runs: a limit exceeded is one
    :class:`~ilo_solver.io.torch_payload.UnsafePickleError`, a
    malformed stream one :class:`MalformedPickle`."""
    from .pickle_scan import PickleBomb, scan_pickle
    try:
        scan_pickle(data, pickles=pickles)
    except PickleBomb as e:
        raise UnsafePickleError(f"{what} refused before unpickling: {e}") from None
    except ValueError as e:
        raise MalformedPickle(f"malformed {what}: {e}") from None


def _element_size(dtype: torch.dtype) -> int:
    return torch.empty((), dtype=dtype).element_size()


def first_line(e: BaseException, limit: int = 300) -> str:
    """The first line of an exception's message (or its type), for one-line errors that wrap a library's."""
    lines = str(e).strip().splitlines()
    return (lines[0] if lines else type(e).__name__)[:limit]


def torch_refusal_reason(e: BaseException) -> str:
    """torch's refusal, without its advice to retry with ``weights_only=False`` (that would run the file's code)."""
    text = str(e)
    if "WeightsUnpickler error:" in text:
        text = text.split("WeightsUnpickler error:", 1)[1]
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    keep = [ln for ln in lines if "weights_only" not in ln and "trust" not in ln and "safe_globals" not in ln
            and "docs.pytorch.org" not in ln and "pytorch.org/docs" not in ln]
    return (keep or lines or [type(e).__name__])[0][:300]


# --------------------------------------------------------------------------------------------------- sizes
class _Sym:
    """A placeholder for whatever a global, a call or a storage would have been (size pre-scan only)."""

    def __init__(self, name: str = "?"):
        self.name = name

    def __setitem__(self, key, value):
        pass

    def append(self, x):
        pass

    def extend(self, xs):
        pass

    def add(self, x):
        pass


class _SizeScanner(pickle._Unpickler):
    """Walks a torch legacy-format pickle without calling, importing or building anything, and records the
    storages its persistent ids declare: ``('storage', storage_type, root_key, location, numel, view)``."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, f):
        super().__init__(f)
        self.storages: dict = {}

    def find_class(self, module, name):
        return _Sym(f"{module}.{name}")

    def persistent_load(self, pid):
        if isinstance(pid, tuple) and len(pid) >= 5 and pid[0] in ("storage", b"storage"):
            kind, key, numel = pid[1], pid[2], pid[4]
            module, _, name = kind.name.rpartition(".") if isinstance(kind, _Sym) else ("", "", "")
            dtype = torch.storage._storage_type_to_dtype_map().get(name) if module == "torch" else None
            if dtype is None or type(numel) is not int or numel < 0:
                raise UnsafePickleError(f"malformed storage record {pid!r:.100}")
            self.storages[key] = numel * _element_size(dtype)
        elif not (isinstance(pid, tuple) and pid and pid[0] in ("module", b"module")):
            raise UnsafePickleError("unknown persistent id in a torch payload")
        return _Sym("storage")

    def _call(self):
        self.stack.pop()
        self.stack[-1] = _Sym("call")

    def _newobj_ex(self):
        del self.stack[-2:]
        self.stack[-1] = _Sym("new")

    def _build(self):
        self.stack.pop()

    def _refuse(self):
        raise UnsafePickleError("torch payload uses OBJ/INST opcodes (never written by torch.save)")

    dispatch[pickle.REDUCE[0]] = _call
    dispatch[pickle.NEWOBJ[0]] = _call
    dispatch[pickle.NEWOBJ_EX[0]] = _newobj_ex
    dispatch[pickle.BUILD[0]] = _build
    for _op in (pickle.OBJ, pickle.INST, pickle.EXT1, pickle.EXT2, pickle.EXT4):
        dispatch[_op[0]] = _refuse
    del _op


def check_torch_payload(data: bytes, limit: int = MAX_TENSOR_BYTES) -> int:
    """Total bytes of the storages a ``torch.save`` payload declares, checked before ``torch.load`` allocates them.

    - zip format (``torch.save`` since 1.6): every record stored uncompressed (so no record outgrows the file);
    - legacy format (what ``Storage.__reduce__`` writes into NVIDIA pickles): the declared storages must be carried
      by the payload itself (``Σ numel · element size ≤ len(data)``) -- torch allocates them from the header.

    Both: the total at most ``limit``. Raises :class:`~ilo_solver.io.torch_payload.UnsafePickleError`; returns the
    total otherwise."""
    if data[:4] == b"PK\x03\x04":
        try:
            z = zipfile.ZipFile(io.BytesIO(data))
            infos = z.infolist()
        except (zipfile.BadZipFile, ValueError, OSError) as e:
            raise UnsafePickleError(f"malformed torch zip payload: {e}") from None
        with z:
            if any(i.compress_type != zipfile.ZIP_STORED for i in infos):
                raise UnsafePickleError("compressed records in a torch zip payload (torch.save never compresses; a "
                                        "compressed record can expand far beyond the file)")
            pickles = [i for i in infos if i.filename.endswith(".pkl")]
            if not pickles:
                raise UnsafePickleError("a torch zip payload without its data.pkl")
            for i in pickles:
                scanned(z.read(i), what=f"record {i.filename}")
        total = sum(i.file_size for i in infos if not i.filename.endswith(".pkl"))
    elif len(data) > 262 and data[257:262] == b"ustar":
        raise UnsafePickleError("tar-format torch payloads (torch < 0.4) are not read")
    else:
        f = io.BytesIO(data)

        def next_pickle() -> _SizeScanner:   # each pickle scanned (opcodes), then walked (storages)
            start = f.tell()
            scanned(f, what="torch legacy payload")
            f.seek(start)
            return _SizeScanner(f)
        try:
            magic = next_pickle().load()
            if type(magic) is not int or magic != torch.serialization.MAGIC_NUMBER:
                raise UnsafePickleError("not a torch.save file (no torch magic number)")
            for _ in range(2):   # protocol version, system info: plain data
                next_pickle().load()
            scan = next_pickle()
            scan.load()
        except UnsafePickleError:
            raise
        except Exception as e:  # noqa: BLE001 - truncated or malformed
            raise UnsafePickleError(f"malformed torch.save payload: {type(e).__name__}: {e}") from None
        total = sum(scan.storages.values())
        if total > len(data):
            raise UnsafePickleError(f"a torch payload of {len(data)} bytes declares storages of {total} bytes")
    if total > limit:
        raise UnsafePickleError(f"the tensors declared take {total} bytes, over the limit of {limit}")
    return total


def safe_torch_load(path: str | Path, *, extra_globals=(), limit: int = MAX_TENSOR_BYTES):
    """``torch.load(path, weights_only=True)`` after :func:`~ilo_solver.io.torch_payload.check_torch_payload`;
    ``extra_globals`` are
    added to torch's own allow-list. Any refusal is one :class:`~ilo_solver.io.torch_payload.UnsafePickleError` naming
    the file."""
    path = Path(path)
    data = path.read_bytes()
    try:
        check_torch_payload(data, limit)
    except UnsafePickleError as e:
        raise UnsafePickleError(f"{path}: {e}") from None
    try:
        with torch.serialization.safe_globals(list(extra_globals)):
            return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - report any unpickling refusal as one clear error
        raise UnsafePickleError(f"{path} was refused by torch.load(weights_only=True): {torch_refusal_reason(e)}") \
            from None
