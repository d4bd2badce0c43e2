"""`ilo solve` end to end at tiny step counts, and its error handling (one clear error, nothing written)."""
import json
import re

import numpy as np
import pytest
from PIL import Image

from ilo_solver.cli import main


def _run(tmp_path, *extra, restarts="2"):
    out = tmp_path / "out"
    image = [] if "--observation" in extra else ["--image", "astronaut"]
    rc = main(["solve", *image, "--out", str(out), "--steps-scale", "0.02", "--no-progress",
               *(["--restarts", restarts] if restarts else []), *extra])
    return rc, out


@pytest.mark.parametrize("task,extra", [("inpaint", ["--observed", "0.3"]), ("inpaint", ["--box", "10,10,20,30"]),
                                        ("denoise", []), ("superres", ["--factor", "2"]),
                                        ("cs-gaussian", ["--ratio", "0.05"]), ("cs-circulant", [])])
def test_solve_writes_outputs(tmp_path, task, extra):
    rc, out = _run(tmp_path, "--task", task, "--method", "ilo", *extra)
    assert rc == 0
    m = json.loads((out / "metrics.json").read_text())
    assert {"method", "task", "psnr", "ssim", "lpips", "seconds"} <= set(m) and m["task"] == task
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["method"]["type"] == "ILOConfig" and cfg["task"]["name"] == task
    assert [r["split"] for r in cfg["method"]["rounds"]] == [0, 1, 2, 3] and cfg["method"]["restarts"] == 2
    assert (out / "grid.png").stat().st_size > 1000
    assert Image.open(out / "reconstruction.png").size == (64, 64)


def test_csgm_and_seed_reproducibility(tmp_path):
    _, a = _run(tmp_path / "a", "--task", "denoise", "--method", "csgm", "--seed", "3")
    _, b = _run(tmp_path / "b", "--task", "denoise", "--method", "csgm", "--seed", "3")
    ma, mb = (json.loads((d / "metrics.json").read_text()) for d in (a, b))
    assert ma["psnr"] == mb["psnr"] and ma["method"] == "csgm"


@pytest.mark.parametrize("args,msg", [
    (["--task", "deblur"], "invalid choice"),
    (["--task", "cs-gaussian", "--ratio", "1.5"], "ratio"),
    (["--task", "inpaint", "--observed", "0"], "observed"),
    (["--task", "denoise", "--method", "pulse"], "unknown method"),
    (["--task", "denoise", "--image", "/nonexistent.png"], "neither a built-in"),
    (["--task", "superres", "--factor", "5"], "divisible"),
    (["--task", "inpaint", "--box", "60,60,10,10"], "inside the 64x64 image"),
    (["--task", "inpaint", "--box", "0,0,64,64"], "hides the whole"),
    (["--task", "denoise", "--device", "foo"], "not a device name"),
    (["--task", "denoise", "--device", "meta"], "use cpu, cuda"),
    (["--task", "denoise", "--prior", "biggan"], "unknown prior"),
    (["--task", "denoise", "--prior", "stylegan2"], "needs a checkpoint"),
    (["--task", "denoise", "--sigma", "inf"], "sigma must be finite"),
    (["--task", "denoise", "--dead-zone", "inf"], "dead_zone_weight must be finite"),
    (["--task", "denoise", "--steps-scale", "inf"], "steps_scale must be finite"),
    (["--task", "denoise", "--steps-scale", "1e12"], "steps in one round"),
    (["--task", "denoise", "--restarts", "1000000"], "restarts must be an integer in [1, 1024]"),
])
def test_bad_input_is_one_clear_error_and_writes_nothing(tmp_path, capsys, args, msg):
    out = tmp_path / "out"
    base = ["solve", "--image", "astronaut", "--out", str(out), "--steps-scale", "0.02", "--no-progress"]
    if "--image" in args:
        base = base[:1] + base[3:]
    with pytest.raises(SystemExit) as e:
        main(base + args)
    assert e.value.code == 2 and msg in capsys.readouterr().err
    assert not out.exists()


def test_undefined_pixels_are_refused(tmp_path, capsys):
    rgba = np.zeros((40, 30, 4), np.uint8)   # fully transparent: what lies behind is not defined
    Image.fromarray(rgba, "RGBA").save(tmp_path / "clear.png")
    with pytest.raises(SystemExit):
        main(["solve", "--image", str(tmp_path / "clear.png"), "--task", "denoise", "--no-face-crop", "--out",
              str(tmp_path / "o")])
    assert "transparent pixels (1200)" in capsys.readouterr().err and not (tmp_path / "o").exists()


def test_train_prior_then_sgilo(tmp_path, capsys):
    score = tmp_path / "score.pt"
    assert main(["train-prior", "--split", "1", "--steps", "3", "--batch", "4", "--width", "16", "--depth", "1",
                 "--out", str(score), "--no-progress"]) == 0
    meta = json.loads(score.with_suffix(".json").read_text())
    assert meta["split"] == 1 and meta["seed"] == 0 and "ilo train-prior" in meta["command"]
    rc, out = _run(tmp_path, "--task", "inpaint", "--observed", "0.05", "--method", "sgilo", "--score", str(score))
    m = json.loads((out / "metrics.json").read_text())
    assert rc == 0 and m["method"] == "sgilo" and m["posterior_spread"] >= 0
    rc, out = _run(tmp_path / "shipped", "--task", "cs-gaussian", "--ratio", "0.05", "--method", "sgilo")
    assert rc == 0 and json.loads((out / "metrics.json").read_text())["method"] == "sgilo"   # the shipped prior


def test_stylegan2_prior_from_a_checkpoint(tmp_path):
    import torch

    from ilo_solver.generators.stylegan2 import StyleGAN2Generator
    torch.manual_seed(0)  # parameter init of the test checkpoint
    G = StyleGAN2Generator(32, style_dim=32, n_mlp=2, channels={4: 32, 8: 32, 16: 16, 32: 16})
    ck = tmp_path / "g.pt"
    torch.save({"g_ema": G.state_dict()}, ck)
    for method in ("csgm", "pulse", "ilo"):
        rc, out = _run(tmp_path / method, "--prior", f"stylegan2:{ck}", "--task", "superres", "--factor", "2",
                       "--method", method, restarts="2" if method == "csgm" else None)
        m = json.loads((out / "metrics.json").read_text())
        assert rc == 0 and m["prior"].startswith("stylegan2:") and m["psnr"] > 0
        cfg = json.loads((out / "config.json").read_text())["method"]
        assert cfg["restarts"] == 2 if method == "csgm" else cfg["rounds"][0]["split"] == 0


def test_stylegan2_prior_errors(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["solve", "--image", "astronaut", "--task", "denoise", "--prior", f"stylegan2:{tmp_path}/none.pt",
              "--out", str(tmp_path / "o")])
    assert "does not exist" in capsys.readouterr().err and not (tmp_path / "o").exists()
    import torch

    from ilo_solver.generators.stylegan2 import StyleGAN2Generator
    torch.manual_seed(0)  # parameter init of the test checkpoint
    ck = tmp_path / "g.pt"
    torch.save(StyleGAN2Generator(32, style_dim=32, n_mlp=2, channels={4: 32, 8: 32, 16: 16, 32: 16}).state_dict(), ck)
    for prior, method, msg in ((f"stylegan2:{ck}", "foo", "for the stylegan2 prior"),
                               ("dcgan-faces", "pulse", "unknown method 'pulse'")):
        with pytest.raises(SystemExit):
            main(["solve", "--image", "astronaut", "--task", "denoise", "--prior", prior, "--method", method,
                  "--out", str(tmp_path / "o")])
        assert msg in capsys.readouterr().err and not (tmp_path / "o").exists()


def test_stylegan2_prior_from_an_nvidia_pickle_with_the_official_fit(tmp_path, monkeypatch):
    from . import nvidia_format as nv
    monkeypatch.setenv("ILO_TEST_SENTINEL", str(tmp_path / "sentinel"))
    ck = tmp_path / "network-snapshot.pkl"
    nv.write_pkl(ck, nv.make_generator(seed=2, conv_clamp=256.0))
    rc, out = _run(tmp_path / "pkl", "--prior", f"stylegan2:{ck}", "--task", "inpaint", "--observed", "0.5",
                   "--method", "ilo", "--dead-zone", "0.5", restarts=None)
    cfg = json.loads((out / "config.json").read_text())["method"]
    assert rc == 0 and json.loads((out / "metrics.json").read_text())["psnr"] > 0
    assert cfg["fit"]["lpips_net"] == "vgg" and cfg["fit"]["lpips_size"] == 256
    assert cfg["fit"]["dead_zone_weight"] == 0.5 and cfg["fit"]["dead_zone_tau"] == 0.1
    assert json.loads((out / "config.json").read_text())["generator"]["conv_clamp"] == 256.0
    assert not (tmp_path / "sentinel").exists()


def test_convert_command(tmp_path, monkeypatch, capsys):
    import torch

    from ilo_solver.generators.checkpoints import load_generator

    from . import nvidia_format as nv
    monkeypatch.setenv("ILO_TEST_SENTINEL", str(tmp_path / "sentinel"))
    ck = tmp_path / "g.pkl"
    nv.write_pkl(ck, nv.make_generator(seed=1, conv_clamp=0.5))
    out = tmp_path / "conv" / "g.safetensors"
    assert main(["convert", str(ck), str(out)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["conv_clamp"] == 0.5 and printed["w_avg"] is True
    import hashlib
    assert printed["source_sha256"] == hashlib.sha256(ck.read_bytes()).hexdigest()   # what was read, to record
    w = torch.randn(1, 8, 32, generator=torch.Generator().manual_seed(0))
    assert torch.equal(load_generator(out).synthesis(w), load_generator(ck).synthesis(w))
    assert torch.equal(load_generator(out).w_avg, load_generator(ck).w_avg)
    for bad, msg in ((out, "exists"), (tmp_path / "g.bin", "safetensors")):
        with pytest.raises(SystemExit):
            main(["convert", str(ck), str(bad)])
        assert msg in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["convert", str(tmp_path / "none.pkl"), str(tmp_path / "n.safetensors")])
    assert "does not exist" in capsys.readouterr().err and not (tmp_path / "n.safetensors").exists()
    assert not (tmp_path / "sentinel").exists()


def test_device_names():
    import torch

    from ilo_solver.presets import parse_device
    assert parse_device("cpu") == torch.device("cpu")
    if torch.cuda.is_available():
        assert parse_device("cuda").type == "cuda"
        with pytest.raises(ValueError, match="CUDA devices"):
            parse_device(f"cuda:{torch.cuda.device_count()}")
    else:
        with pytest.raises(ValueError, match="no CUDA device"):
            parse_device("cuda:0")
    if not torch.backends.mps.is_available():
        with pytest.raises(ValueError, match="no MPS device"):
            parse_device("mps")
    for bad in ("gpu", "meta", "xla"):
        with pytest.raises(ValueError, match="--device"):
            parse_device(bad)


def test_restarts_are_honoured_or_refused_for_every_prior(tmp_path, capsys):
    """--restarts reaches every solver that has restarts; where there are none (StyleGAN-2 ILO/PULSE optimise one
    start) a value other than 1 is one clear error, before any work."""
    import torch

    from ilo_solver.generators.stylegan2 import StyleGAN2Generator
    torch.manual_seed(0)
    ck = tmp_path / "g.pt"
    torch.save({"g_ema": StyleGAN2Generator(32, style_dim=32, n_mlp=2, channels={4: 32, 8: 32, 16: 16, 32: 16})
                .state_dict()}, ck)
    for method in ("pulse", "ilo", "unconstrained"):
        with pytest.raises(SystemExit):
            _run(tmp_path / method, "--prior", f"stylegan2:{ck}", "--task", "denoise", "--method", method)
        assert "has one start" in capsys.readouterr().err and not (tmp_path / method / "out").exists()
    rc, out = _run(tmp_path / "one", "--prior", f"stylegan2:{ck}", "--task", "denoise", "--method", "pulse",
                   restarts="1")
    assert rc == 0
    for method in ("csgm", "unconstrained"):
        _run(tmp_path / method / "d", "--task", "denoise", "--method", method, restarts="3")
        cfg = json.loads((tmp_path / method / "d" / "out" / "config.json").read_text())["method"]
        assert cfg["restarts"] == 3


def test_existing_output_is_refused_unless_overwrite(tmp_path, capsys):
    rc, out = _run(tmp_path, "--task", "denoise", "--method", "csgm")
    first = (out / "metrics.json").read_text()
    with pytest.raises(SystemExit) as e:
        _run(tmp_path, "--task", "denoise", "--method", "csgm", "--seed", "1")
    assert e.value.code == 2 and "--overwrite" in capsys.readouterr().err
    assert (out / "metrics.json").read_text() == first
    (tmp_path / "file").write_text("x")
    with pytest.raises(SystemExit):
        main(["solve", "--image", "astronaut", "--task", "denoise", "--out", str(tmp_path / "file")])
    assert "not a directory" in capsys.readouterr().err
    assert _run(tmp_path, "--task", "denoise", "--method", "csgm", "--seed", "1", "--overwrite")[0] == 0
    assert (out / "metrics.json").read_text() != first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "out"]   # no temporary left beside it


def test_sgilo_cli_and_benchmark_share_the_preset():
    """`ilo solve --method sgilo` and benchmarks/sgilo_faces.py (the README's table) run the same config."""
    import importlib.util
    from pathlib import Path

    from ilo_solver import presets
    from ilo_solver.fit.losses import DataFit
    spec = importlib.util.spec_from_file_location("sgilo_faces", Path(__file__).parents[2] / "benchmarks"
                                                  / "sgilo_faces.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    fit = DataFit(lpips_weight=0.2)
    assert bench.config("sgilo", fit, 1.0) == presets.configure("dcgan-faces", "sgilo", fit=fit)
    assert presets.PRESETS["dcgan-faces"]["sgilo"].csgm == presets.PRESETS["dcgan-faces"]["csgm"].rounds[0]


def _photo(tmp_path, name, arr):
    path = tmp_path / name
    Image.fromarray(arr).save(path)
    return str(path)


@pytest.fixture
def face64():
    from ilo_solver.io.images import fit_to_prior, load_image, to_uint8
    return to_uint8(fit_to_prior(load_image("astronaut")[0], 64)[0])


def test_real_observations_without_a_truth(tmp_path, face64, capsys):
    """A real low-resolution photo (super-resolution), a photo with pure-black holes (inpainting, the official
    convention) or a mask file, and a noisy photo with its noise level estimated: no --image needed; metrics only
    against a --reference."""
    import torch

    from ilo_solver.io.images import fit_to_prior, load_image
    from ilo_solver.physics.observations import estimate_noise_sigma
    low = np.asarray(Image.fromarray(face64).resize((16, 16), Image.BICUBIC))
    rc, out = _run(tmp_path / "sr", "--task", "superres", "--observation", _photo(tmp_path, "low.png", low),
                   "--method", "ilo")
    m = json.loads((out / "metrics.json").read_text())
    assert rc == 0 and "psnr" not in m and m["measurement_mse"] >= 0 and "low-resolution input of x4" in \
        m["preprocessing"]
    assert Image.open(out / "reconstruction.png").size == (64, 64)
    holes = face64.copy()
    holes[20:30, 20:40] = 0
    rc, out = _run(tmp_path / "inp", "--task", "inpaint", "--observation", _photo(tmp_path, "holes.png", holes),
                   "--reference", "astronaut", "--method", "csgm", "--no-face-crop")
    m = json.loads((out / "metrics.json").read_text())
    cfg = json.loads((out / "config.json").read_text())
    assert rc == 0 and m["psnr"] > 5 and "pure-black pixels" in m["preprocessing"]
    # the convention marks every pure-black pixel missing, the photo's own dark pixels included (said in the docs)
    assert abs(cfg["task"]["observed"] - float((holes.max(2) > 0).mean())) < 1e-9 and cfg["task"]["observed"] < 0.96
    mask = np.full((64, 64), 255, np.uint8)
    mask[:, :32] = 0
    rc, out = _run(tmp_path / "inp2", "--task", "inpaint", "--observation", _photo(tmp_path, "f.png", face64),
                   "--mask", _photo(tmp_path, "m.png", mask), "--method", "csgm", "--no-face-crop")
    assert rc == 0 and json.loads((out / "config.json").read_text())["task"]["observed"] == 0.5
    g = torch.Generator().manual_seed(0)
    clean = fit_to_prior(load_image("astronaut")[0], 64)[0]
    noisy = (clean + 0.1 * torch.randn(clean.shape, generator=g)).clamp(-1, 1)
    from ilo_solver.io.images import to_uint8
    path = _photo(tmp_path, "noisy.png", to_uint8(noisy))
    est = estimate_noise_sigma(load_image(path)[0])
    assert 0.07 < est < 0.13, est   # truth 0.1 (clipped, 8-bit)
    rc, out = _run(tmp_path / "dn", "--task", "denoise", "--observation", path, "--method", "csgm", "--no-face-crop")
    assert rc == 0 and "estimated as" in json.loads((out / "metrics.json").read_text())["preprocessing"]
    rc, out = _run(tmp_path / "dn2", "--task", "denoise", "--observation", path, "--sigma", "0.1", "--method", "csgm",
                   "--no-face-crop")
    assert json.loads((out / "config.json").read_text())["task"]["noise_sigma"] == 0.1


@pytest.mark.parametrize("args,msg", [
    (["--task", "cs-gaussian", "--observation", "x.png"], "can be given for superres, inpaint, denoise"),
    (["--task", "denoise", "--image", "astronaut", "--observation", "x.png"], "not allowed with argument"),
    (["--task", "denoise"], "either --image"),
    (["--task", "denoise", "--image", "astronaut", "--mask", "m.png"], "go with --observation"),
])
def test_observation_arguments_are_checked(tmp_path, capsys, args, msg):
    with pytest.raises(SystemExit):
        main(["solve", "--out", str(tmp_path / "o"), "--no-progress", *args])
    assert msg in capsys.readouterr().err and not (tmp_path / "o").exists()


def test_train_prior_and_verification_bad_arguments(tmp_path, capsys):
    for bad in (["--width", "0"], ["--lr", "inf"], ["--steps", "0"], ["--split", "9"]):
        with pytest.raises(SystemExit) as e:
            main(["train-prior", "--out", str(tmp_path / "s.pt"), *bad])
        assert e.value.code == 2 and "ilo: error" in capsys.readouterr().err
    assert not (tmp_path / "s.pt").exists()
    (tmp_path / "file").write_text("")
    with pytest.raises(SystemExit) as e:
        main(["train-prior", "--out", str(tmp_path / "file" / "s.pt"), "--steps", "1"])
    assert e.value.code == 2 and "not a directory" in capsys.readouterr().err
    from verification.__main__ import main as vmain
    (tmp_path / "f").write_text("")
    with pytest.raises(SystemExit) as e:
        vmain(["covering", "--quick", "--out", str(tmp_path / "f" / "out")])
    assert e.value.code == 2 and "error" in capsys.readouterr().err


def test_save_size_writes_the_reconstruction_enlarged_and_refuses_bad_sizes(tmp_path, capsys):
    rc, out = _run(tmp_path, "--task", "denoise", "--method", "csgm", "--save-size", "200")
    assert rc == 0 and Image.open(out / "reconstruction_200px.png").size == (200, 200)
    small = np.asarray(Image.open(out / "reconstruction_200px.png").resize((64, 64), Image.BICUBIC), float)
    assert np.abs(small - np.asarray(Image.open(out / "reconstruction.png"), float)).mean() < 4   # the same image
    for bad, msg in (("8", r"must lie in \[16, 4096\] pixels, got 8"), ("big", "needs a side in pixels")):
        with pytest.raises(SystemExit):
            _run(tmp_path / bad, "--task", "denoise", "--method", "csgm", "--save-size", bad)
        assert re.search(msg, capsys.readouterr().err)


def test_sgilo_samples_writes_samples_std_and_their_metrics(tmp_path, capsys):
    rc, out = _run(tmp_path, "--task", "inpaint", "--method", "sgilo", "--samples", "3", "--steps-scale", "0.05",
                   restarts="2")
    assert rc == 0
    names = {p.name for p in out.iterdir()}
    assert {"sample_01.png", "sample_02.png", "sample_03.png", "mean.png", "std.png", "samples.png"} <= names
    assert "sample_04.png" not in names
    m = json.loads((out / "metrics.json").read_text())
    assert m["samples_written"] == 3 and len(m["sample_metrics"]) == 3 and m["std_max"] > 0
    assert {"psnr", "lpips"} <= set(m["samples_mean_metrics"])
    assert set(m["std_predicts_error"]) == {"spearman", "coverage", "scale"}      # the truth is known here
    assert -1 <= m["std_predicts_error"]["spearman"] <= 1
    assert json.loads((out / "config.json").read_text())["method"]["thin"] == 1
    std = np.asarray(Image.open(out / "std.png"))
    assert std.shape == (64, 64, 3) and std.max() == 255                  # scaled so that white = std_max
    for bad, msg in ((["--method", "ilo", "--samples", "2"], "--samples applies to --method sgilo"),
                     (["--method", "sgilo", "--samples", "99"], r"--samples must be an integer in \[1, ")):
        with pytest.raises(SystemExit):
            _run(tmp_path / "bad", "--task", "inpaint", *bad)
        assert re.search(msg, capsys.readouterr().err)
