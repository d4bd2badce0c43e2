"""The opcode pre-scan (ilo_solver.io.pickle_scan) that runs before every unpickler: hostile files that crashed or
ballooned every reader are refused with one line; each attack runs in a subprocess under an address-space limit, so
a crash or a blow-up fails the test instead of killing the suite."""
import io
import pickle
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from ilo_solver.io.pickle_scan import PickleBomb, ScanLimits, scan_pickle

ROOT = Path(__file__).resolve().parents[2]
DEEP_KEY = b"\x80\x02}K\x00" + b"\x85" * 300_000 + b"K\x01s."            # {((((0,),),)...): 1}, 300 000 deep
DEEP_SET = b"\x80\x04\x8f(K\x00" + b"\x85" * 300_000 + b"\x90."           # {((((0,),),)...)}
DEEP_LIST = b"\x80\x02" + b"]" * 1000 + b"a" * 999 + b"."                  # [[[...]]] 1000 deep
BLOB = b"x" * 2 ** 20
MEMO_BOMB = b"\x80\x02]q\x00(B" + len(BLOB).to_bytes(4, "little") + BLOB + b"q\x01" + b"h\x01" * 2000 + b"e."


def _zip(pkl: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pkl)
        z.writestr("archive/version", "3\n")
    return buf.getvalue()


def _run_limited(code: str, tmp_path, limit_gb: float = 1.0) -> subprocess.CompletedProcess:
    """``code`` in a fresh interpreter with RLIMIT_AS = ``limit_gb`` GiB: a segfault or a MemoryError shows as a
    failed return code here, not as the death of the test session."""
    script = tmp_path / "attack.py"
    cap = int(limit_gb * 2 ** 30)
    script.write_text(f"import resource\nresource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))\n"
                      + textwrap.dedent(code))
    env = {**__import__("os").environ, "PYTHONPATH": str(ROOT)}   # this checkout's code, whatever is installed
    return subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env=env)


@pytest.mark.parametrize("name", ["DEEP_KEY", "DEEP_SET", "MEMO_BOMB"])
@pytest.mark.parametrize("reader", ["nvidia-pkl", "torch-pt"])
def test_hostile_pickles_are_refused_in_one_line_by_every_reader(name, reader, tmp_path):
    data = globals()[name]
    path = tmp_path / ("x.pkl" if reader == "nvidia-pkl" else "x.pt")
    path.write_bytes(data if reader == "nvidia-pkl" else _zip(data))
    r = _run_limited(f"""
        from ilo_solver.generators.checkpoints import load_generator
        try:
            load_generator({str(path)!r})
        except ValueError as e:
            print("REFUSED", e)
        """, tmp_path)
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])      # no crash, no MemoryError
    assert r.stdout.startswith("REFUSED") and "refused before unpickling" in r.stdout, r.stdout + r.stderr[-500:]
    assert len(r.stdout.strip().splitlines()) == 1


def test_without_the_scan_the_deep_key_crashes_the_reader(tmp_path):
    """The negative control: the same file given to torch.load(weights_only=True) directly kills the process
    (this is what the scan prevents; if a future CPython guards tuplehash, the test says so)."""
    path = tmp_path / "x.pt"
    path.write_bytes(_zip(DEEP_KEY))
    r = _run_limited(f"import torch; torch.load({str(path)!r}, weights_only=True)", tmp_path)
    if r.returncode == 0 or r.returncode == 1:
        pytest.skip(f"this Python/torch no longer crashes on a 300 000-deep key (rc {r.returncode})")
    assert r.returncode < 0   # killed by a signal (SIGSEGV)


def test_scan_limits_and_what_passes():
    assert scan_pickle(pickle.dumps({"a": [1, 2, (3, 4)], "b": np.arange(5)}, protocol=4)) > 0
    sd = {f"w{i}": torch.randn(3) for i in range(50)}
    buf = io.BytesIO()
    torch.save(sd, buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        pkl = next(z.read(n) for n in z.namelist() if n.endswith(".pkl"))
    scan_pickle(pkl)
    nested = 0
    for _ in range(90):
        nested = (nested,)
    scan_pickle(pickle.dumps(nested, protocol=2))               # 90 deep: under the limit of 100
    with pytest.raises(PickleBomb, match="deep"):
        scan_pickle(pickle.dumps(nested, protocol=2), ScanLimits(max_depth=50))
    with pytest.raises(PickleBomb, match="deep"):
        scan_pickle(DEEP_LIST)
    with pytest.raises(PickleBomb, match="items"):
        scan_pickle(pickle.dumps(list(range(1000))), ScanLimits(max_items=100))
    with pytest.raises(PickleBomb, match="memory bomb"):
        scan_pickle(MEMO_BOMB)
    for bad, msg in ((b"\x80\x02K", "not enough data"), (b"\x80\x02h\x05.", "fetched before"),
                     (b"\xff", "unknown opcode"),
                     (b"\x80\x02B\xff\xff\xff\x7f.", "past the end"), (b"\x80\x02a.", "underflow")):
        with pytest.raises(ValueError, match=msg):
            scan_pickle(bad)


def test_small_checkpoints_cannot_ask_for_gigabytes_or_carry_nan(tmp_path):
    """Hyper-parameters read from a file are checked before the generator is built: zero-size tensors whose shapes
    claim style_dim 16384 (a 1 KB .pt asked 3.4 GB), non-finite weights and a NaN lr_mlp in safetensors metadata
    are each one clear error; the attack runs under a 1 GiB address-space limit."""
    from ilo_solver.generators.stylegan2 import StyleGAN2Generator
    torch.manual_seed(0)
    G = StyleGAN2Generator(32, style_dim=32, n_mlp=2, channels={4: 16, 8: 16, 16: 8, 32: 8})
    sd = G.state_dict()
    for dim, msg in ((16384, "style_dim must lie in"), (2048, "do not match")):   # out of range; in range
        huge = {k: torch.zeros(0, dim) if k.startswith("style.") and k.endswith("weight") else v[:0]
                for k, v in sd.items()}
        torch.save(huge, tmp_path / "huge.pt")
        assert (tmp_path / "huge.pt").stat().st_size < 200_000
        r = _run_limited(f"""
            from ilo_solver.generators.checkpoints import load_generator
            try:
                load_generator({str(tmp_path / 'huge.pt')!r})
            except ValueError as e:
                print("REFUSED", e)
            """, tmp_path)
        assert r.returncode == 0 and r.stdout.startswith("REFUSED") and msg in r.stdout, r.stdout + r.stderr
    from ilo_solver.generators.checkpoints import load_generator
    nan = {k: v.clone() for k, v in sd.items()}
    nan["style.1.weight"][0, 0] = float("nan")
    torch.save(nan, tmp_path / "nan.pt")
    with pytest.raises(ValueError, match="non-finite weights"):
        load_generator(tmp_path / "nan.pt")
    from safetensors.torch import save_file
    save_file({k: v.contiguous() for k, v in sd.items()}, str(tmp_path / "lr.safetensors"),
              metadata={"ilo_toolkit.stylegan2_config": '{"lr_mlp": NaN}'})
    with pytest.raises(ValueError, match="lr_mlp"):
        load_generator(tmp_path / "lr.safetensors")


def test_a_refused_global_imports_nothing(tmp_path):
    """torch._dynamo as a pickle global imported hundreds of modules before it was refused (getattr(torch, name))."""
    evil = b"\x80\x02ctorch\n_dynamo\n."
    (tmp_path / "g.pkl").write_bytes(evil)
    r = _run_limited(f"""
        import sys
        from ilo_solver.io.safe_pickle import RestrictedUnpickler, UnsafePickleError
        try:
            RestrictedUnpickler(open({str(tmp_path / 'g.pkl')!r}, 'rb').read()).load()
        except UnsafePickleError as e:
            print("REFUSED", "torch._dynamo" in sys.modules)
        """, tmp_path, limit_gb=4)
    assert r.stdout.strip() == "REFUSED False", r.stdout + r.stderr[-500:]


def test_two_first_uses_of_the_lpips_cache_at_once(tmp_path):
    """Two processes converting the LPIPS weights into one empty cache at the same time (a shared temporary name
    made one fail, 4 trials in 4): both succeed and the cache is the pinned content."""
    code = (f"import os; os.environ['ILO_CACHE_DIR'] = {str(tmp_path / 'cache')!r}\n"
            "from ilo_solver.io import assets\n"
            "print(assets.arrays_digest(assets.lpips_weights('alex')) == assets.PINNED_LPIPS['alex'])\n")
    env = {**__import__("os").environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [o[0].strip() for o in outs] == ["True", "True"], outs
