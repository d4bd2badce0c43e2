r"""A streaming pass over a pickle's opcodes, before any unpickler sees it: nesting depth, container sizes and the
bytes that memo reuse would materialise are bounded against the file's size and fixed limits.

Why: every unpickler -- the C one, the pure-Python :class:`pickle._Unpickler` our restricted loader runs on, and
``torch.load(weights_only=True)`` -- builds what the opcodes say. A 292 KB file whose dict key is a tuple nested
300 000 deep crashes the process when CPython hashes the key (``tuplehash`` recurses in C, with no recursion
guard); a 1 MB file that memoises a byte string once and fetches it again a thousand times makes a callable
materialise gigabytes. Neither needs a forbidden global, so an allow-list cannot see them.

How: the opcode stream is parsed with :mod:`pickletools`' opcode table, without building objects; the data of
length-prefixed arguments (byte strings, strings, long integers) is skipped by seeking, never copied, so the pass
costs a few operations per opcode whatever the tensors weigh. The scan simulates the unpickler's stack with light
nodes that carry (a) the nesting depth of what they stand for and (b) the bytes of string/bytes data they hold. It
refuses, with an :class:`~ilo_solver.io.torch_payload.UnsafePickleError` naming the reason:

- nesting deeper than ``max_depth`` (real checkpoints nest < 20 deep; CPython's own recursion limit is 1000);
- more than ``max_items`` items in all containers together (each item costs a pointer at least);
- more string/bytes data re-pushed by memo ``GET`` than ``max_reuse`` x the file size (a fetched reference is free,
  but passed to a callable it is materialised again);
- a stack or memo index the opcodes do not define (a malformed file), or no ``STOP``.

The depth is exact for immutable containers (tuples, frozensets: built at once from finished children), which are
what CPython hashes recursively in C. A list or dict that is deepened after it was already placed inside another can
leave the outer one's recorded depth stale; what can recurse on such mutable containers (repr, comparison, copying,
JSON) is guarded by CPython's recursion limit and fails with a ``RecursionError``, not a crash.

The cost is one pass of pure Python over the opcodes: measured in ``benchmarks/pickle_scan.py`` against the load
itself. Sources: the pickle protocol (``Lib/pickletools.py``, PEP 307, PEP 3154, PEP 574).
"""
from __future__ import annotations

import io
from pickletools import (TAKEN_FROM_ARGUMENT1, TAKEN_FROM_ARGUMENT4, TAKEN_FROM_ARGUMENT4U, TAKEN_FROM_ARGUMENT8U,
                         code2op)

__all__ = ["ScanLimits", "scan_pickle", "PickleBomb"]

MAX_DEPTH = 100
MAX_ITEMS = 50_000_000
MAX_REUSE = 4.0


class PickleBomb(ValueError):
    """The opcode stream asks for more than the limits allow (deep nesting, huge containers, memo amplification);
    raised before any object is built. :mod:`.safe_pickle` re-raises it as an ``UnsafePickleError``."""


class ScanLimits:
    """``max_depth``: deepest nesting; ``max_items``: container items in all; ``max_reuse``: bytes of strings /
    byte strings fetched again from the memo, as a multiple of the stream's length (plus 1 MiB)."""

    def __init__(self, max_depth: int = MAX_DEPTH, max_items: int = MAX_ITEMS, max_reuse: float = MAX_REUSE):
        self.max_depth, self.max_items, self.max_reuse = max_depth, max_items, max_reuse


class _Node:
    __slots__ = ("depth", "size")

    def __init__(self, depth: int = 0, size: int = 0):
        self.depth, self.size = depth, size


_MARK = object()
# opcodes that build a container from the items above the mark, or from a fixed number of items
_FROM_MARK = {"TUPLE", "LIST", "DICT", "FROZENSET"}
_FIXED_TUPLE = {"TUPLE1": 1, "TUPLE2": 2, "TUPLE3": 3}
_EMPTY = {"EMPTY_TUPLE", "EMPTY_LIST", "EMPTY_DICT", "EMPTY_SET"}
_ADD_ONE = {"APPEND": 1, "SETITEM": 2}
_ADD_MARK = {"APPENDS", "SETITEMS", "ADDITEMS"}
_PUT = {"PUT", "BINPUT", "LONG_BINPUT"}
_WIDTH = {TAKEN_FROM_ARGUMENT1: (1, False), TAKEN_FROM_ARGUMENT4: (4, True), TAKEN_FROM_ARGUMENT4U: (4, False),
          TAKEN_FROM_ARGUMENT8U: (8, False)}


class _Skipped:
    """A length-prefixed argument that was skipped, not read: only its length is known."""
    __slots__ = ("n",)

    def __init__(self, n: int):
        self.n = n


def _table() -> dict[int, tuple]:
    """opcode byte -> (name, how its argument is read): ``None`` (no argument), ``("skip", width, signed)``
    (length-prefixed data, skipped), ``("int", n)`` (a fixed-width little-endian unsigned index: the memo opcodes),
    ``("fixed", n)`` (fixed-width data nobody needs: skipped), ``("reader", fn)`` (newline-terminated arguments of
    protocol 0, read by pickletools)."""
    out = {}
    for code, op in code2op.items():
        a = op.arg
        if a is None:
            how = None
        elif a.n in _WIDTH:
            how = ("skip", *_WIDTH[a.n])
        elif a.n > 0 and op.name in ("BINPUT", "LONG_BINPUT", "BINGET", "LONG_BINGET"):
            how = ("int", a.n)
        elif a.n > 0:
            how = ("fixed", a.n)
        else:
            how = ("reader", a.reader)
        out[ord(code)] = (op.name, how)
    return out


_OPS = _table()


def _ops(f, total: int):
    """(opcode name, argument) pairs as :func:`pickletools.genops` gives them, except that length-prefixed data is
    skipped (:class:`_Skipped`) and fixed-width data nobody needs is not decoded (one table lookup an opcode)."""
    read, seek, tell, ops = f.read, f.seek, f.tell, _OPS
    while True:
        c = read(1)
        if not c:
            raise ValueError("the pickle ends before its STOP opcode")
        entry = ops.get(c[0])
        if entry is None:
            raise ValueError(f"unknown opcode {c!r} at byte {tell() - 1}")
        name, how = entry
        if how is None:
            arg = None
        elif how[0] == "skip":
            raw = read(how[1])
            n = int.from_bytes(raw, "little", signed=how[2])
            if len(raw) < how[1] or n < 0 or tell() + n > total:
                raise ValueError(f"{name} declares {n} bytes past the end of the pickle")
            seek(n, 1)
            arg = _Skipped(n)
        elif how[0] == "int":
            raw = read(how[1])
            if len(raw) < how[1]:
                raise ValueError(f"not enough data in stream to read {name}'s argument")
            arg = int.from_bytes(raw, "little")
        elif how[0] == "fixed":
            if tell() + how[1] > total:
                raise ValueError(f"not enough data in stream to read {name}'s argument")
            seek(how[1], 1)
            arg = None
        else:
            arg = how[1](f)
        yield name, arg
        if name == "STOP":
            return


_GET = {"GET", "BINGET", "LONG_BINGET"}


def scan_pickle(data: bytes | io.BytesIO, limits: ScanLimits | None = None, *, pickles: int | None = 1) -> int:
    """Scan ``pickles`` consecutive pickles of ``data`` (None: until the data ends) and return the bytes read.
    Raises :class:`PickleBomb` on a limit, ``ValueError`` on a malformed stream."""
    lim = limits or ScanLimits()
    if isinstance(data, io.BytesIO):
        f, here = data, data.tell()
        total = f.seek(0, io.SEEK_END)
        f.seek(here)
    else:
        f, total = io.BytesIO(data), len(data)   # BytesIO shares the bytes (getbuffer() would copy them)
    budget = lim.max_reuse * total + 2 ** 20
    items, reused, count = 0, 0, 0
    while pickles is None or count < pickles:
        if pickles is None and f.tell() >= total:
            break
        items, reused = _scan_one(f, total, lim, budget, items, reused)
        count += 1
    return f.tell()


def _scan_one(f, total: int, lim: ScanLimits, budget: float, items: int,  # noqa: C901 - one opcode table
              reused: int) -> tuple[int, int]:
    stack: list = []
    memo: dict = {}
    seen_stop = False

    def pop_mark() -> list:
        for k in range(len(stack) - 1, -1, -1):
            if stack[k] is _MARK:
                out = stack[k + 1:]
                del stack[k:]
                return out
        raise ValueError("pickle: MARK expected on the stack")

    def pop(n: int) -> list:
        if n > len(stack) or any(s is _MARK for s in stack[len(stack) - n:]):
            raise ValueError("pickle: stack underflow")
        out = stack[len(stack) - n:]
        del stack[len(stack) - n:]
        return out

    def node(children, size: int = 0) -> _Node:
        d = 1 + max((c.depth for c in children), default=0)
        if d > lim.max_depth:
            raise PickleBomb(f"the pickle nests containers more than {lim.max_depth} deep (a reader would overflow "
                             "the C stack)")
        return _Node(d, size + sum(c.size for c in children))

    try:
        for name, arg in _ops(f, total):
            if name == "STOP":
                pop(1)
                seen_stop = True
                break
            if name == "MARK":
                stack.append(_MARK)
            elif name in _FROM_MARK:
                kids = pop_mark()
                items += len(kids)
                stack.append(node(kids))
            elif name in _FIXED_TUPLE:
                kids = pop(_FIXED_TUPLE[name])
                items += len(kids)
                stack.append(node(kids))
            elif name in _EMPTY:
                stack.append(_Node(1))
            elif name in _ADD_ONE or name in _ADD_MARK:
                kids = pop(_ADD_ONE[name]) if name in _ADD_ONE else pop_mark()
                items += len(kids)
                target = pop(1)[0]
                grown = node(kids)
                target.depth = max(target.depth, grown.depth)
                target.size += grown.size
                stack.append(target)
            elif name in _PUT:
                memo[arg] = stack[-1] if stack and stack[-1] is not _MARK else _Node()
            elif name == "MEMOIZE":
                memo[len(memo)] = stack[-1] if stack and stack[-1] is not _MARK else _Node()
            elif name in _GET:
                if arg not in memo:
                    raise ValueError(f"pickle: memo key {arg!r} fetched before it was stored")
                got = memo[arg]
                reused += got.size
                if reused > budget:
                    raise PickleBomb(f"the pickle fetches {reused} bytes of strings again from its memo, over "
                                     f"{budget:.0f} (a few times its size): a memory bomb")
                stack.append(got)
            elif name in ("REDUCE", "NEWOBJ", "BUILD"):
                args = pop(1)[0]
                callee = pop(1)[0]
                stack.append(node([callee, args]) if name != "BUILD" else _grow(callee, args, lim))
            elif name == "NEWOBJ_EX":
                kw, args = pop(1)[0], pop(1)[0]
                stack.append(node([pop(1)[0], args, kw]))
            elif name in ("OBJ", "INST"):
                kids = pop_mark()
                stack.append(node(kids))
            elif name == "POP":
                pop(1)
            elif name == "POP_MARK":
                pop_mark()
            elif name == "DUP":
                stack.append(stack[-1])
            elif name == "STACK_GLOBAL":
                pop(2)
                stack.append(_Node())
            elif name in ("BINPERSID", "PERSID"):
                if name == "BINPERSID":
                    pop(1)
                stack.append(_Node())
            elif name in ("PROTO", "FRAME"):
                pass
            else:   # a push of one atom: ints, floats, strings, bytes, None, bools, GLOBAL, EXT*, NEXT_BUFFER
                size = arg.n if isinstance(arg, _Skipped) else len(arg) if isinstance(arg, (bytes, str)) else 0
                stack.append(_Node(0, size))
            if items > lim.max_items:
                raise PickleBomb(f"the pickle's containers hold more than {lim.max_items} items")
    except (PickleBomb, ValueError):
        raise
    except Exception as e:   # noqa: BLE001 - an argument reader on a truncated or malformed stream
        raise ValueError(f"malformed pickle: {type(e).__name__}: {e}") from None
    if not seen_stop:
        raise ValueError("malformed pickle: it ends before its STOP opcode")
    return items, reused


def _grow(obj: _Node, state: _Node, lim: ScanLimits) -> _Node:
    """BUILD: the object's state is set from ``state`` (nested one level down)."""
    d = max(obj.depth, state.depth + 1)
    if d > lim.max_depth:
        raise PickleBomb(f"the pickle nests containers more than {lim.max_depth} deep (a reader would overflow the "
                         "C stack)")
    obj.depth, obj.size = d, obj.size + state.size
    return obj
