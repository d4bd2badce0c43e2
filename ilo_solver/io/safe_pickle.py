r"""A restricted unpickler that rebuilds tensors, numeric numpy arrays and plain containers, and nothing else.

Python's ``pickle`` is a small stack machine whose opcodes can import any global (``GLOBAL``/``STACK_GLOBAL``),
call it (``REDUCE``, ``NEWOBJ``, ``OBJ``, ``INST``) and set the state of any object (``BUILD``). An allow-list of
*globals* alone is not enough, which is why this module exists (each item was a working attack on the previous
loader, which allowed ``numpy.dtype`` and ``numpy.core.multiarray.scalar`` and ran on the C unpickler):

- ``BUILD`` on a ``numpy.dtype`` can set its flags (e.g. "holds object references") so that
  ``multiarray.scalar(dtype, bytes)`` reads file bytes as a ``PyObject*``: memory corruption;
- ``BUILD`` on an allowed *class* (``dnnlib.EasyDict``) ``setattr``\ s on the class for the rest of the process;
- calling an allowed class (``torch.Tensor(4e10)``, ``numpy.ndarray((10**11,))``) allocates what the file asks;
- ``torch.load`` of a legacy-format storage allocates the byte count declared in its header before reading data.

:class:`RestrictedUnpickler` therefore runs on the pure-Python ``pickle._Unpickler`` with its calling and
state-setting opcodes replaced:

- a global resolves only through an explicit table (nothing is imported; unknown names are refused by name);
- ``REDUCE``/``OBJ``/``INST`` call only the table's *callables* -- plain containers and checked rebuild
  functions written here; ``NEWOBJ``/``NEWOBJ_EX`` make only empty instances of the table's container classes;
- ``BUILD`` acts only on instances of types that declare it safe (an array this unpickler just created, a dtype
  *description* of ours, the inert records of :mod:`ilo_solver.generators.nvidia_pkl`), never on a class object;
- numpy dtypes are read into ``_DTypeSpec`` descriptions and turned into real dtypes only from a fixed set of
  plain numeric kinds with their byte order (no object, structured, string or datetime dtypes); arrays and numpy
  scalars are then built from exactly ``prod(shape) · itemsize`` file bytes;
- a tensor view must fit its storage, and a serialized storage's declared size is checked against the bytes that
  carry it and a limit (:func:`~ilo_solver.io.torch_payload.check_torch_payload`) before
  ``torch.load(weights_only=True)`` sees it.

The file is read into memory first, so no opcode's declared length can make a read allocate more than the file.
Every refusal is an :class:`~ilo_solver.io.torch_payload.UnsafePickleError` (a ``ValueError``) that names what was
refused.
"""
from __future__ import annotations

import io
import math
import pickle
import warnings
from collections import OrderedDict

import numpy as np
import torch

from .torch_payload import (  # noqa: F401 - re-exported: the readers' names, importable from here as before
    MAX_TENSOR_BYTES, MalformedPickle, UnsafePickleError, check_torch_payload, first_line, safe_torch_load, scanned,
    torch_refusal_reason)

# UnsafePickleError, MalformedPickle, check_torch_payload, safe_torch_load, first_line, ... stay importable from
# here; they are defined (and documented) in .torch_payload
__all__ = ["RestrictedUnpickler"]

# --------------------------------------------------------------------------------------------------- numpy
_NUMERIC_DTYPES = frozenset({"b1", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8", "c8", "c16"})


class _DTypeSpec:
    """What a pickled ``numpy.dtype(spec, align, copy)`` + ``BUILD(state)`` describes, kept as data: a plain
    numeric kind and a byte order. The real dtype is made by :meth:`dtype`, never by numpy's ``__setstate__``."""

    __slots__ = ("spec", "byteorder")
    _safe_build = True

    def __init__(self, spec: str):
        self.spec, self.byteorder = spec, "="

    def _build(self, state):
        # numpy's dtype state: (version, byteorder, subarray, names, fields, elsize, alignment, flags[, metadata])
        ok = (isinstance(state, tuple) and len(state) in (8, 9) and state[0] in (3, 4) and state[1] in ("<", ">",
              "|", "=") and state[2:5] == (None, None, None) and state[5:8] == (-1, -1, 0)
              and (len(state) == 8 or state[8] in (None, {})))
        if not ok:
            raise UnsafePickleError(f"refusing numpy dtype state {state!r:.120}: only plain numeric dtypes with a "
                                    "byte order are read (no flags, fields, sub-arrays or sizes from the file)")
        self.byteorder = state[1]

    def dtype(self) -> np.dtype:
        dt = np.dtype(self.spec)
        return dt.newbyteorder(self.byteorder) if self.byteorder in "<>" else dt


def _np_dtype(spec, align=False, copy=False):
    if not isinstance(spec, str) or spec not in _NUMERIC_DTYPES or align not in (False, True, 0, 1):
        raise UnsafePickleError(f"refusing numpy dtype {spec!r:.60}: only plain numeric dtypes are read "
                                f"({', '.join(sorted(_NUMERIC_DTYPES))})")
    return _DTypeSpec(spec)


def _spec(dtype) -> np.dtype:
    if not isinstance(dtype, _DTypeSpec):
        raise UnsafePickleError(f"expected a numpy dtype, got {type(dtype).__name__}")
    return dtype.dtype()


def _np_scalar(dtype, data):
    """``numpy.core.multiarray.scalar(dtype, bytes)`` for numeric dtypes: exactly ``itemsize`` bytes."""
    dt = _spec(dtype)
    if not isinstance(data, bytes) or len(data) != dt.itemsize:
        raise UnsafePickleError(f"numpy scalar of dtype {dt} needs {dt.itemsize} bytes of data")
    return np.frombuffer(data, dtype=dt)[0].copy()


class _FreshArray:
    """Marker of the empty arrays :func:`_np_reconstruct` made and that await their one ``BUILD``."""


def _np_reconstruct(subtype, shape, typecode):
    """``numpy.core.multiarray._reconstruct(ndarray, (0,), b'b')``: numpy's array pickles start with an empty
    int8 array and fill it by ``BUILD``; anything else (subclasses, other shapes) is refused."""
    if subtype is not np.ndarray or shape != (0,) or typecode not in (b"b", "b"):
        raise UnsafePickleError("refusing numpy _reconstruct other than an empty numpy.ndarray")
    return np.ndarray((0,), np.int8)


def _build_array(arr: np.ndarray, state):
    # ndarray state: (version, shape, dtype, is_fortran, rawdata); rawdata must be the bytes (object arrays pickle
    # a list here, and are refused)
    if not (isinstance(state, tuple) and len(state) == 5 and state[0] == 1):
        raise UnsafePickleError("malformed numpy array state")
    _, shape, dtype, fortran, raw = state
    dt = _spec(dtype)
    _check_array(shape, dt, raw)
    arr.__setstate__((1, shape, dt, bool(fortran), raw))


def _check_array(shape, dt: np.dtype, raw) -> None:
    if not (isinstance(shape, tuple) and all(type(s) is int and s >= 0 for s in shape)):
        raise UnsafePickleError(f"numpy array shape {shape!r:.80} is not a tuple of non-negative integers")
    if not isinstance(raw, bytes) or len(raw) != math.prod(shape) * dt.itemsize:
        raise UnsafePickleError(f"numpy array {shape} of {dt} needs exactly {math.prod(shape) * dt.itemsize} bytes "
                                "of data in the file")


def _np_frombuffer(buf, dtype, shape, order):
    """``numpy.core.numeric._frombuffer`` (numpy's protocol-5 array pickles), numeric dtypes, exact byte count."""
    if isinstance(buf, (bytearray, memoryview)):
        buf = bytes(buf)
    if order not in ("C", "F"):
        raise UnsafePickleError(f"numpy array order {order!r:.20} is not C or F")
    dt = _spec(dtype)
    _check_array(shape, dt, buf)
    return np.frombuffer(buf, dtype=dt).reshape(shape, order=order).copy(order="K")


# --------------------------------------------------------------------------------------------------- torch
def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                       metadata=None):
    """torch's ``_rebuild_tensor_v2`` after checking the view: integer geometry, no hooks, and every element it
    addresses inside the storage (a zero-stride view cannot declare more elements than the storage holds)."""
    if not isinstance(storage, torch.storage.TypedStorage):
        raise UnsafePickleError(f"a tensor's storage is a {type(storage).__name__}, not a storage")
    ints = lambda t: isinstance(t, tuple) and all(type(s) is int and s >= 0 for s in t)
    if type(storage_offset) is not int or storage_offset < 0 or not ints(size) or not ints(stride) \
            or len(size) != len(stride):
        raise UnsafePickleError("a tensor's offset, size and stride must be non-negative integers of one length")
    if backward_hooks not in (None, {}) or not isinstance(metadata, (type(None), dict)) or metadata:
        raise UnsafePickleError("tensors with backward hooks or metadata are not rebuilt")
    n = math.prod(size)
    last = storage_offset + sum((s - 1) * st for s, st in zip(size, stride, strict=True)) if n else 0
    with warnings.catch_warnings():   # TypedStorage is deprecated, but it is what torch's pickles carry
        warnings.simplefilter("ignore", UserWarning)
        held = storage.size()
    if n > max(held, 1) or (n and last >= held):
        raise UnsafePickleError(f"a tensor view of size {list(size)} does not fit its storage of {held} elements")
    return torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, False, OrderedDict())


def _rebuild_parameter(data, requires_grad, backward_hooks, state=None):
    if not isinstance(data, torch.Tensor):
        raise UnsafePickleError("a parameter's data is not a tensor")
    return torch.nn.Parameter(data, requires_grad=False)   # hooks and extra state are dropped: data only


def _rebuild_from_type_v2(func, new_type, args, state):
    if func not in (_rebuild_tensor_v2, _rebuild_parameter) or new_type not in (torch.Tensor, torch.nn.Parameter) \
            or not isinstance(args, tuple) or state not in (None, {}):
        raise UnsafePickleError(f"refusing to rebuild a tensor of type {new_type!r:.60} with {func!r:.60}")
    return func(*args)


def _load_from_bytes(b):
    """A serialized storage (``torch.storage._load_from_bytes``): sizes checked, then ``weights_only=True``."""
    if not isinstance(b, (bytes, bytearray)):
        raise UnsafePickleError("storage payload is not bytes")
    check_torch_payload(bytes(b))
    try:
        return torch.load(io.BytesIO(b), map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - report as one refusal
        raise UnsafePickleError(f"a tensor storage was refused by torch.load(weights_only=True): "
                                f"{torch_refusal_reason(e)}") from None


def _torch_device(spec, index=None):
    if not isinstance(spec, str) or len(spec) > 16 or not (index is None or type(index) is int):
        raise UnsafePickleError("malformed torch.device")
    return torch.device(spec) if index is None else torch.device(spec, index)


def _codecs_encode(text, encoding="utf-8"):
    """Protocol-2 pickles store ``bytes`` as ``_codecs.encode(str, 'latin1')``; nothing else is accepted."""
    if not isinstance(text, str) or encoding != "latin1":
        raise UnsafePickleError("unexpected _codecs.encode call")
    return text.encode("latin1")


def _empty_bytes(*args):
    """Protocol-2 pickles store ``b""`` as ``builtins.bytes()``; ``bytes(n)`` (n zero bytes) is refused."""
    if args:
        raise UnsafePickleError("bytes(...) with arguments is not unpickled")
    return b""


# --------------------------------------------------------------------------------------------------- unpickler
_CONTAINERS = (dict, list, tuple, set, frozenset, OrderedDict)
_BASE_GLOBALS = {
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type_v2,
    ("torch.storage", "_load_from_bytes"): _load_from_bytes,
    ("torch", "Tensor"): torch.Tensor,                       # values only (the type argument of a rebuild)
    ("torch.nn.parameter", "Parameter"): torch.nn.Parameter,
    ("torch", "device"): _torch_device,
    ("collections", "OrderedDict"): OrderedDict,
    ("builtins", "set"): set, ("builtins", "frozenset"): frozenset, ("builtins", "dict"): dict,
    ("builtins", "list"): list, ("builtins", "tuple"): tuple,
    ("numpy", "ndarray"): np.ndarray,                        # value only (the subtype argument of _reconstruct)
    ("numpy", "dtype"): _np_dtype,
    ("_codecs", "encode"): _codecs_encode,
    ("builtins", "bytes"): _empty_bytes,
}
for _m in ("numpy.core", "numpy._core"):
    _BASE_GLOBALS[(_m + ".multiarray", "_reconstruct")] = _np_reconstruct
    _BASE_GLOBALS[(_m + ".multiarray", "scalar")] = _np_scalar
    _BASE_GLOBALS[(_m + ".numeric", "_frombuffer")] = _np_frombuffer
_BASE_CALLABLE = (_rebuild_tensor_v2, _rebuild_parameter, _rebuild_from_type_v2, _load_from_bytes, _torch_device,
                  _np_dtype, _np_reconstruct, _np_scalar, _np_frombuffer, _codecs_encode, _empty_bytes) + _CONTAINERS


class RestrictedUnpickler(pickle._Unpickler):
    """Unpickles tensors, numeric numpy arrays/scalars and plain containers; ``globals`` adds names (module, name)
    → object, ``callables`` says which of them ``REDUCE`` may call, ``classes`` which ``NEWOBJ`` may instantiate
    (empty, then filled by their own ``BUILD`` if they define ``_safe_build``/``__setstate__``). See the module
    docstring for what each opcode is allowed to do."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, data: bytes, *, globals: dict | None = None, callables=(), classes=()):
        scanned(data, pickles=None)   # every pickle in the stream, before anything is built
        super().__init__(io.BytesIO(data))
        self._globals = {**_BASE_GLOBALS, **(globals or {})}
        self._callable_ids = {id(c) for c in (*_BASE_CALLABLE, *callables)}
        self._classes = tuple(_CONTAINERS) + tuple(classes)
        self._build_types = tuple(c for c in classes if getattr(c, "_safe_build", False))
        self._fresh: dict[int, np.ndarray] = {}
        self._reconstructor = self._copyreg_reconstructor   # one bound method, so that its id can be allowed
        self._callable_ids.add(id(self._reconstructor))

    def find_class(self, module, name):
        import _compat_pickle
        # Python-2 names written by protocol 0-2 pickles (pickle's own find_class maps them the same way)
        module, name = _compat_pickle.NAME_MAPPING.get((module, name), (module, name))
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        if (module, name) in self._globals:
            return self._globals[(module, name)]
        if (module, name) == ("copyreg", "_reconstructor"):   # protocols 0 and 1 make instances through it
            return self._reconstructor
        if module == "torch" and isinstance(vars(torch).get(name), torch.dtype):   # vars: no lazy submodule import
            return vars(torch)[name]
        raise UnsafePickleError(
            f"refusing to load global {module}.{name}: not a tensor, container or known record (a permissive "
            "loader would have imported or run it)")

    def persistent_load(self, pid):
        raise UnsafePickleError("the pickle uses persistent ids (not a network pickle)")

    # -- calling opcodes: only the allow-listed callables
    def _checked_call(self, func, args):
        if id(func) not in self._callable_ids:
            raise UnsafePickleError(f"refusing to call {getattr(func, '__name__', type(func).__name__)!s:.60} "
                                    "while unpickling (only containers and checked tensor/array rebuilds are called)")
        if not isinstance(args, tuple):
            raise UnsafePickleError("call arguments are not a tuple")
        out = func(*args)
        if func is _np_reconstruct:
            self._fresh[id(out)] = out
        return out

    def _reduce(self):
        args = self.stack.pop()
        self.stack[-1] = self._checked_call(self.stack[-1], args)

    def _new(self, cls, args, kwargs=None):
        if not (isinstance(cls, type) and cls in self._classes) or args != () or kwargs:
            raise UnsafePickleError(f"refusing to instantiate {getattr(cls, '__name__', cls)!s:.60} with arguments "
                                    f"{args!r:.60} while unpickling")
        return cls.__new__(cls)

    def _copyreg_reconstructor(self, cls, base, state):
        """``copyreg._reconstructor(cls, base, state)`` as protocols 0/1 write it, for the allowed classes only:
        ``base`` ``object`` with no state (an empty instance, as NEWOBJ makes), or a container base (``dict``,
        ``list``) whose contents are the state; never a call of anything else."""
        if base is object and state is None:
            return self._new(cls, ())
        if base in (dict, list) and isinstance(cls, type) and issubclass(cls, base) and type(state) is base:
            inst = self._new(cls, ())
            inst.update(state) if base is dict else inst.extend(state)
            return inst
        raise UnsafePickleError(f"refusing copyreg._reconstructor({getattr(cls, '__name__', cls)!s:.40}, "
                                f"{getattr(base, '__name__', base)!s:.40}, ...) while unpickling")

    def _newobj(self):
        args = self.stack.pop()
        self.stack[-1] = self._new(self.stack[-1], args)

    def _newobj_ex(self):
        kwargs, args = self.stack.pop(), self.stack.pop()
        self.stack[-1] = self._new(self.stack[-1], args, kwargs)

    def _obj(self):
        args = self.pop_mark()
        cls = args.pop(0)
        self.append(self._checked_call(cls, tuple(args)))

    def _inst(self):
        module = self.readline()[:-1].decode("ascii")
        name = self.readline()[:-1].decode("ascii")
        self.append(self._checked_call(self.find_class(module, name), tuple(self.pop_mark())))

    def _ext(self):
        raise UnsafePickleError("the pickle uses the copyreg extension registry (never written by NVIDIA or torch)")

    # -- state: only on types that declare it safe, never on a class object
    def _build(self):
        state = self.stack.pop()
        inst = self.stack[-1]
        if isinstance(inst, type):
            raise UnsafePickleError(f"refusing to change the class {inst.__name__} while unpickling")
        if type(inst) is np.ndarray and self._fresh.pop(id(inst), None) is inst:
            _build_array(inst, state)
        elif type(inst) is _DTypeSpec:
            inst._build(state)
        elif type(inst) in self._build_types:
            inst.__setstate__(state)
        else:
            raise UnsafePickleError(f"refusing to set the state of a {type(inst).__name__} while unpickling")

    dispatch[pickle.REDUCE[0]] = _reduce
    dispatch[pickle.NEWOBJ[0]] = _newobj
    dispatch[pickle.NEWOBJ_EX[0]] = _newobj_ex
    dispatch[pickle.OBJ[0]] = _obj
    dispatch[pickle.INST[0]] = _inst
    dispatch[pickle.BUILD[0]] = _build
    for _op in (pickle.EXT1, pickle.EXT2, pickle.EXT4):
        dispatch[_op[0]] = _ext
    del _op

    def load(self):
        out = super().load()
        if self._fresh:
            raise UnsafePickleError("a numpy array was started but never filled")
        return out


del _m
