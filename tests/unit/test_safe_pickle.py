"""Hostile checkpoint files: each is refused with one clear ``ValueError`` -- no code run, no crash, no huge
allocation, no class changed, no partial output. The corpus is loaded in a child process (one per test run), so a
segfault or an abort fails the test instead of killing the suite, and the file it died on is named."""
import io
import json
import os
import pickle
import struct
import subprocess
import sys
import zipfile
from collections import OrderedDict
from pathlib import Path

import pytest
import torch

from . import nvidia_format as nv

SENTINEL = "ILO_TEST_SENTINEL"


# -------------------------------------------------------------------------------------------- a tiny assembler
def _g(module: str, name: str) -> bytes:
    """GLOBAL opcode (protocol 0 text form; every protocol reads it)."""
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def _p(obj) -> bytes:
    """Plain data as pickle opcodes (protocol 2, without its header and STOP)."""
    return pickle.dumps(obj, protocol=2)[2:-1]


def _pkl(body: bytes) -> bytes:
    return b"\x80\x02" + body + b"."


def _legacy_storage(numel: int, data: bytes = b"\0" * 4, payload=None) -> bytes:
    """A torch legacy-format storage payload (what ``Storage.__reduce__`` writes) declaring ``numel`` floats."""
    class P(pickle.Pickler):
        def persistent_id(self, obj):
            return ("storage", torch.FloatStorage, "0", "cpu", numel, None) if obj == "S" else None
    f = io.BytesIO()
    for obj in (torch.serialization.MAGIC_NUMBER, torch.serialization.PROTOCOL_VERSION,
                dict(protocol_version=1001, little_endian=True, type_sizes={})):
        pickle.dump(obj, f, protocol=2)
    P(f, protocol=2).dump("S" if payload is None else payload)
    pickle.dump(["0"], f, protocol=2)
    f.write(struct.pack("<q", len(data) // 4) + data)
    return f.getvalue()


def _in_tensor(storage_bytes: bytes, size=(1,), stride=(1,)) -> bytes:
    """A tensor rebuilt from a serialized storage, the way NVIDIA pickles carry every weight."""
    return (_g("torch._utils", "_rebuild_tensor_v2") + b"(" + _g("torch.storage", "_load_from_bytes")
            + _p((storage_bytes,)) + b"R" + _p(0) + _p(size) + _p(stride) + _p(False)
            + _g("collections", "OrderedDict") + b")R" + b"tR")


class _System:
    def __reduce__(self):
        return (os.system, (f"touch {os.environ[SENTINEL]}",))


def _corpus(d: Path) -> dict[str, str]:
    """file name → regex of the expected refusal."""
    files: dict[str, tuple[bytes, str]] = {}
    sentinel = os.environ[SENTINEL]
    # code execution at every protocol, top-level and nested, and via INST / OBJ
    for proto in range(6):
        files[f"system_p{proto}.pkl"] = (pickle.dumps(_System(), protocol=proto), r"refusing to load global")
        files[f"nested_p{proto}.pkl"] = (pickle.dumps({"G_ema": [{"x": (1, _System())}]}, protocol=proto),
                                         r"refusing to load global")
    # (also malformed: its TUPLE has no MARK, which the opcode pre-scan reports first)
    files["inst.pkl"] = (b"(ios\nsystem\nS'touch " + sentinel.encode() + b"'\ntp0\n.",
                         r"refusing to load global|malformed pickle")
    files["obj.pkl"] = (_pkl(b"(" + _g("os", "system") + _p(f"touch {sentinel}") + b"o"), r"refusing to load global")
    # code inside a tensor's storage: torch's weights_only unpickler refuses it, and its advice is not passed on
    files["storage_code.pkl"] = (_pkl(_in_tensor(_legacy_storage(1, payload=_System()))), r"tensor storage was refused")
    # the dtype-flag trick (was memory corruption): a dtype whose BUILD sets 'holds objects', then scalar()
    files["dtype_flags.pkl"] = (_pkl(_g("numpy.core.multiarray", "scalar") + _g("numpy", "dtype")
                                     + _p(("f8", False, True)) + b"R" + _p((3, "|", None, None, None, 8, 1, 63)) + b"b"
                                     + _p(b"AAAAAAAA") + b"\x86R"), r"numpy dtype state")
    files["dtype_object.pkl"] = (_pkl(_g("numpy", "dtype") + _p(("O8", False, True)) + b"R"), r"numpy dtype 'O8'")
    files["array_list.pkl"] = (_pkl(_g("numpy.core.multiarray", "_reconstruct") + _g("numpy", "ndarray") + _p((0,))
                                    + _p(b"b") + b"\x87R" + b"(" + _p(1) + _p((2,)) + _g("numpy", "dtype")
                                    + _p(("f8", False, True)) + b"R" + _p(False) + _p([1.0, 2.0]) + b"tb"),
                                   r"exactly 16 bytes")
    # class pollution: BUILD on an allowed class, and on an instance of it
    files["class_build.pkl"] = (_pkl(_g("dnnlib", "EasyDict") + _p((None, {"keys": 1})) + b"b"),
                                r"refusing to change the class")
    files["instance_build.pkl"] = (_pkl(_g("dnnlib", "EasyDict") + b")\x81" + _p({"__class__": 1}) + b"b"),
                                   r"refusing to set the state")
    # huge allocations from a few bytes
    files["tensor_call.pkl"] = (_pkl(_g("torch", "Tensor") + _p((40_000_000_000,)) + b"R"), r"refusing to call")
    files["ndarray_new.pkl"] = (_pkl(_g("numpy", "ndarray") + _p(((10 ** 11,),)) + b"\x81"),
                                r"refusing to instantiate")
    files["zero_stride.pkl"] = (_pkl(_in_tensor(_legacy_storage(1), size=(10 ** 10,), stride=(0,))),
                                r"does not fit its storage")
    files["storage_header.pkl"] = (_pkl(_in_tensor(_legacy_storage(40_000_000_000))), r"declares storages of")
    files["storage_header.pt"] = (_legacy_storage(40_000_000_000), r"declares storages of")
    # other opcodes and formats
    files["persid.pkl"] = (_pkl(_p("x") + b"Q"), r"persistent ids")
    files["ext.pkl"] = (_pkl(b"\x82\x01"), r"extension registry")
    buf = io.BytesIO()
    torch.save({"g_ema": {"x": torch.zeros(4)}}, buf)
    z = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as dst:
        for i in src.infolist():
            dst.writestr(i.filename, src.read(i.filename))
    files["deflated.pt"] = (z.getvalue(), r"compressed records")
    files["plain_pickle.pt"] = (pickle.dumps({"g_ema": _System()}, protocol=2), r"not a torch.save file")
    # truncations of a real snapshot
    nv.write_pkl(d / "good.pkl", nv.make_generator(seed=3))
    good = (d / "good.pkl").read_bytes()
    for frac in (0.01, 0.2, 0.5, 0.9, 0.999):
        files[f"trunc_{frac}.pkl"] = (good[: int(len(good) * frac)], r"not a readable network pickle|refus|malformed")
    # safetensors: header length, header text, offsets
    files["st_len.safetensors"] = (struct.pack("<Q", 2 ** 62) + b"{}", r"not a readable \.safetensors")
    files["st_json.safetensors"] = (struct.pack("<Q", 5) + b"{nope", r"not a readable \.safetensors")
    hdr = json.dumps({"x": {"dtype": "F32", "shape": [10 ** 9], "data_offsets": [0, 4 * 10 ** 9]}}).encode()
    files["st_offsets.safetensors"] = (struct.pack("<Q", len(hdr)) + hdr + b"\0" * 16, r"not a readable \.safetensors")
    # well-formed files that are not generators this toolkit can build
    sd = _small_state_dict()
    for name, obj, msg in (("int64.pt", {k: v.long() for k, v in sd.items()}, r"one floating dtype"),
                           ("shape.pt", {**sd, "conv1.conv.weight": sd["conv1.conv.weight"][..., :2]},
                            r"not a StyleGAN-2 generator this toolkit can build"),
                           ("not_tensors.pt", {"g_ema": {"style.1.weight": 3}}, r"state dict of tensors")):
        b = io.BytesIO()
        torch.save(obj, b)
        files[name] = (b.getvalue(), msg)
    for name, (data, _) in files.items():
        (d / name).write_bytes(data)
    return {name: msg for name, (_, msg) in files.items()}


def _small_state_dict():
    from ilo_solver.generators.stylegan2 import StyleGAN2Generator
    return StyleGAN2Generator(size=32, style_dim=8, n_mlp=1, channels={4: 8, 8: 8, 16: 8, 32: 8}).state_dict()


_CHILD = r"""
import json, sys
from pathlib import Path
import numpy as np
from ilo_solver.generators import nvidia_pkl
from ilo_solver.generators.checkpoints import load_generator

def classes():
    return dict(easydict=sorted(vars(nvidia_pkl._EasyDict)), tf=sorted(vars(nvidia_pkl.TFNetworkRecord)),
                f8=[int(np.dtype("f8").flags), bool(np.dtype("f8").hasobject)], dict=sorted(vars(dict)))

before = classes()
d = Path(sys.argv[1])
for name in json.loads(sys.argv[2]):
    print(json.dumps(dict(start=name)), flush=True)
    try:
        load_generator(d / name)
        out = dict(name=name, loaded=True)
    except ValueError as e:
        out = dict(name=name, error=type(e).__name__, message=str(e))
    except BaseException as e:   # noqa: BLE001 - anything but a clear ValueError is a failure of the loader
        out = dict(name=name, error=type(e).__name__, message=str(e), raw=True)
    print(json.dumps(out), flush=True)
print(json.dumps(dict(classes_unchanged=classes() == before, good=load_generator(d / "good.pkl").size)), flush=True)
"""


def test_hostile_files_are_refused_clearly_in_a_child_process(tmp_path, monkeypatch):
    sentinel = tmp_path / "sentinel"
    monkeypatch.setenv(SENTINEL, str(sentinel))
    expected = _corpus(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(tmp_path), json.dumps(sorted(expected))],
                          capture_output=True, text=True, env=env, timeout=600)
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    started = [r["start"] for r in rows if "start" in r]
    assert proc.returncode == 0, f"the loader died (code {proc.returncode}) on {started[-1:]}: {proc.stderr[-2000:]}"
    results = {r["name"]: r for r in rows if "name" in r}
    assert set(results) == set(expected)
    for name, pattern in expected.items():
        r = results[name]
        assert "loaded" not in r, f"{name} was loaded"
        assert not r.get("raw"), f"{name}: raw {r['error']}: {r['message']}"
        assert __import__("re").search(pattern, r["message"]), f"{name}: {r['message']!r} does not match {pattern!r}"
        assert "will likely succeed" not in r["message"] and "weights_only=False" not in r["message"], name
        assert r["message"].count("\n") == 0, f"{name}: not one line: {r['message']!r}"
    assert rows[-1] == dict(classes_unchanged=True, good=32), rows[-1]
    assert not sentinel.exists(), "code embedded in a file was executed"


def test_real_numpy_content_still_loads():
    """What NVIDIA's files really hold -- numeric arrays of any byte order, numpy scalars, dtypes -- rebuilds."""
    import numpy as np

    from ilo_solver.io.safe_pickle import RestrictedUnpickler
    obj = OrderedDict(a=np.arange(6, dtype=">f4").reshape(2, 3), b=np.float64(1.5), c=np.asfortranarray(
        np.eye(3, dtype=np.int16)), d=np.zeros((0, 4), np.uint8), e=[np.bool_(True), np.complex64(1j)])
    for proto in range(2, 6):
        data = pickle.dumps(obj, protocol=proto)
        out, ref = RestrictedUnpickler(data).load(), pickle.loads(data)   # numpy itself reads '>f4' back native
        assert list(out) == list(obj)
        for k in ("a", "c", "d"):
            assert out[k].dtype == ref[k].dtype and np.array_equal(out[k], obj[k])
            assert out[k].flags.f_contiguous == ref[k].flags.f_contiguous
        assert out["b"] == 1.5 and type(out["b"]) is np.float64 and out["e"][1] == np.complex64(1j)


def test_convert_leaves_nothing_behind(tmp_path, monkeypatch):
    """``ilo convert`` on a hostile file: one error line, exit 2, no output file and no temporary left."""
    from ilo_solver import cli
    monkeypatch.setenv(SENTINEL, str(tmp_path / "sentinel"))
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(_pkl(_g("torch", "Tensor") + _p((40_000_000_000,)) + b"R"))
    out = tmp_path / "out" / "g.safetensors"
    with pytest.raises(SystemExit) as e:
        cli.main(["convert", str(bad), str(out)])
    assert e.value.code == 2
    assert not out.exists() and (not out.parent.exists() or not any(out.parent.iterdir()))
