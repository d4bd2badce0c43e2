"""Files in one place: configs round-trip through strict JSON (one convention for infinity), ILO states and score
models save and load (or fail clearly), and result directories appear whole or not at all."""
import json
import math
from pathlib import Path

import pytest
import torch

from ilo_solver import presets, storage
from ilo_solver.fit.losses import DataFit


@pytest.mark.parametrize("prior,method", [(p, m) for p in presets.PRIORS for m in presets.PRESETS[p]])
def test_every_preset_round_trips_through_strict_json(prior, method):
    cfg = presets.configure(prior, method, fit=DataFit(lpips_weight=0.3, sna_sigma=0.1))
    text = storage.dumps(storage.config_to_dict(cfg))
    assert "Infinity" not in text and "NaN" not in text
    assert storage.config_from_dict(json.loads(text)) == cfg


def test_the_infinity_convention_and_its_errors():
    assert storage.to_jsonable([math.inf, -math.inf, 1.5, (2, 3)]) == ["inf", "-inf", 1.5, [2, 3]]
    assert math.isnan(storage.from_jsonable("nan")) and storage.from_jsonable("x") == "x"
    with pytest.raises(ValueError, match="not a saved solver config"):
        storage.config_from_dict({"type": "os.system"})
    with pytest.raises(ValueError, match="unknown ILOConfig fields"):
        storage.config_from_dict({"type": "ILOConfig", "evil": 1})
    with pytest.raises(ValueError, match="not a solver config"):
        storage.config_to_dict(DataFit())


def test_state_round_trip_and_refusals(tmp_path, rng):
    from ilo_solver.generators import ReLUGenerator
    from ilo_solver.physics.operators import GaussianCS
    from ilo_solver.solvers.ilo import ilo
    G = ReLUGenerator((3, 8, 16), rng=rng)
    op = GaussianCS((16,), 8, rng=rng, dtype=torch.float64)
    y = op(G(torch.randn(1, 3, generator=rng, dtype=torch.float64)))
    cfg = presets.configure("dcgan-faces", "ilo", fit=DataFit(), steps_scale=0.02)
    cfg = type(cfg)(rounds=cfg.rounds[:2], restarts=2, fit=cfg.fit)
    res = ilo(G, y, op, config=cfg, rng=torch.Generator().manual_seed(0))
    storage.save_state(res, tmp_path / "s.pt")
    back = storage.load_state(tmp_path / "s.pt")
    assert back.config == cfg and torch.equal(back.x, res.x) and torch.equal(back.rng_state, res.rng_state)
    torch.save({"x_all": torch.zeros(1)}, tmp_path / "bad.pt")
    with pytest.raises(ValueError, match="not a saved ILO state"):
        storage.load_state(tmp_path / "bad.pt")


def test_score_files_fail_clearly(tmp_path):
    from ilo_solver.priors.score import ScoreModel
    model = ScoreModel((4,), width=8, depth=1)
    storage.save_score(model, tmp_path / "s.pt", seed=1)
    back = storage.load_score(tmp_path / "s.pt")
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), back.state_dict().values(),
                                                 strict=True))
    (tmp_path / "s.json").write_text("{not json")
    with pytest.raises(ValueError, match="not a score model config"):
        storage.load_score(tmp_path / "s.pt")
    with pytest.raises(ValueError, match="exists; not overwriting it"):   # saving never replaces a model
        storage.save_score(ScoreModel((4,), width=16, depth=1), tmp_path / "s.pt")
    (tmp_path / "s.pt").unlink()
    (tmp_path / "s.json").unlink()
    storage.save_score(ScoreModel((4,), width=16, depth=1), tmp_path / "s.pt")
    storage.save_score(model, tmp_path / "t.pt")
    (tmp_path / "t.json").write_text((tmp_path / "s.json").read_text())   # a config that does not match
    with pytest.raises(ValueError, match="does not match its config"):
        storage.load_score(tmp_path / "t.pt")
    with pytest.raises(ValueError, match="needs both"):
        storage.load_score(tmp_path / "none.pt")


def test_result_directories_appear_whole(tmp_path):
    out = tmp_path / "res"
    storage.write_result_dir(out, {"a.txt": lambda p: p.write_text("1"), "b.txt": lambda p: p.write_text("2")})
    assert sorted(p.name for p in out.iterdir()) == [storage.MARKER, "a.txt", "b.txt"]

    def boom(p):
        raise OSError("disk full")
    with pytest.raises(OSError):
        storage.write_result_dir(out, {"a.txt": lambda p: p.write_text("new"), "c.txt": boom}, overwrite=True)
    assert (out / "a.txt").read_text() == "1" and not (out / "c.txt").exists()   # the old result, untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]                  # no temporary left
    with pytest.raises(ValueError, match="not empty"):
        storage.write_result_dir(out, {"a.txt": lambda p: p.write_text("x")})
    storage.write_result_dir(out, {"z.txt": lambda p: p.write_text("z")}, overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == [storage.MARKER, "z.txt"]
    (tmp_path / "f").write_text("")
    with pytest.raises(ValueError, match="not a directory"):
        storage.check_output_dir(tmp_path / "f")
    with pytest.raises(ValueError, match="not a writable directory"):
        storage.check_output_dir(tmp_path / "f" / "under")


def test_overwrite_replaces_only_an_earlier_result_and_never_an_input(tmp_path):
    """--overwrite deletes nothing that this toolkit did not write (no marker: refused), and an input inside --out
    (the photo being restored) is refused before any work."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "photo.png").write_text("the user's photo")
    with pytest.raises(ValueError, match="not one"):
        storage.write_result_dir(work, {"a.txt": lambda p: p.write_text("1")}, overwrite=True)
    assert (work / "photo.png").read_text() == "the user's photo"
    res = tmp_path / "res"
    storage.write_result_dir(res, {"a.txt": lambda p: p.write_text("1")})
    (res / "photo.png").write_text("moved in later")
    with pytest.raises(ValueError, match="lies inside --out"):
        storage.check_output_dir(res, overwrite=True, inputs=[res / "photo.png"])
    with pytest.raises(ValueError, match="no name of its own"):
        storage.check_output_dir(Path(""), overwrite=True)
    assert (res / "photo.png").exists()


_RACER = """
import sys, time
from pathlib import Path
from ilo_solver import storage
def slow(p):
    time.sleep(1.5)            # both runs hold their temporary result while the other places its own
    p.write_text(sys.argv[2])
try:
    storage.write_result_dir(Path(sys.argv[1]), {"who.txt": slow})
    print("placed")
except storage.ResultConflict as e:
    print("conflict", e)
"""


def test_two_concurrent_runs_into_one_new_output_lose_nothing(tmp_path):
    """Two real processes write into the same new --out at once: one places its result, the other gets one clear
    error naming where its own result was kept -- both results survive (the old code deleted one, 3 trials in 4)."""
    import subprocess
    import sys
    out = tmp_path / "out"
    script = tmp_path / "racer.py"
    script.write_text(_RACER)
    root = Path(__file__).resolve().parents[2]
    env = {**__import__("os").environ, "PYTHONPATH": str(root)}
    procs = [subprocess.Popen([sys.executable, str(script), str(out), who], cwd=root, stdout=subprocess.PIPE,
                              text=True, env=env) for who in ("A", "B")]
    said = sorted(p.communicate(timeout=120)[0].strip() for p in procs)
    assert said[1] == "placed" and said[0].startswith("conflict"), said
    kept = Path(said[0].rsplit("kept in ", 1)[1])
    texts = {(out / "who.txt").read_text(), (kept / "who.txt").read_text()}
    assert texts == {"A", "B"} and storage.is_result_dir(kept)


def test_result_directories_follow_the_umask(tmp_path):
    import os
    old = os.umask(0o022)
    try:
        out = storage.write_result_dir(tmp_path / "r", {"a.txt": lambda p: p.write_text("1")})
    finally:
        os.umask(old)
    assert (out.stat().st_mode & 0o777) == 0o755     # mkdtemp's 0700 was kept before


@pytest.mark.parametrize("config,msg", [
    ('{"config": {"shape": [1e9], "width": 8, "depth": 1, "sde": {}}}', "out of range"),
    ('{"config": {"shape": [4], "width": 1e400, "depth": 1, "sde": {}}}', "not a score model config"),
    ('{"config": {"shape": [4], "width": 16384, "depth": 1, "sde": {}}}', "out of range"),
    ('{"config": {"shape": [4], "width": 8, "depth": 1, "sde": {"beta_max": NaN}}}', "finite and > 0"),
    ("[" * 100_000 + "]" * 100_000, "not a score model config"),
])
def test_score_sidecars_are_checked_before_anything_is_built(tmp_path, config, msg):
    from ilo_solver.priors.score import ScoreModel
    storage.save_score(ScoreModel((4,), width=8, depth=1), tmp_path / "s.pt")
    (tmp_path / "s.json").write_text(config)
    with pytest.raises(ValueError, match=msg):
        storage.load_score(tmp_path / "s.pt")
