"""`ilo srec`, `ilo classify`, `ilo train-prior`, `ilo convert` end to end, and the values every command refuses
before its work (split out of test_cli.py, which covers `ilo solve`)."""
import json

import pytest
from PIL import Image

from ilo_solver.cli import main


def test_srec_command_writes_its_curve_and_refuses_bad_input(tmp_path, capsys):
    import json

    from ilo_solver.cli import main
    out = tmp_path / "s"
    assert main(["srec", "--ratios", "0.002,0.01", "--splits", "0,1", "--draws", "2", "--pairs", "8",
                 "--restarts", "2", "--steps", "2", "--out", str(out)]) == 0
    saved = json.loads((out / "srec.json").read_text())
    assert [c["split"] for c in saved["curves"]] == [0, 1] and (out / "srec.png").stat().st_size > 5000
    err = capsys.readouterr().err    # a progress bar per split, with its count of searches (2 sizes x 2 draws)
    assert "S-REC, split 0" in err and "S-REC, split 1" in err and "4/4" in err
    for bad in (["--ratios", "0"], ["--splits", "9"], ["--operator", "inpaint"], ["--draws", "1"]):
        with pytest.raises(SystemExit):
            main(["srec", *bad, "--out", str(tmp_path / "bad")])
        assert "error" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def test_srec_command_on_a_stylegan2_checkpoint(tmp_path, capsys):
    """``ilo srec --prior stylegan2:PATH``: the range and an extended range after a synthesis stage (``--radius``
    required there: no preset)."""
    import torch

    from ilo_solver.cli import main
    from ilo_solver.generators.stylegan2 import StyleGAN2Generator
    torch.manual_seed(0)
    ck = tmp_path / "g.pt"
    torch.save({"g_ema": StyleGAN2Generator(32, style_dim=32, n_mlp=2, channels={4: 32, 8: 32, 16: 16, 32: 16})
                .state_dict()}, ck)
    args = ["srec", "--prior", f"stylegan2:{ck}", "--ratios", "0.01,0.1", "--draws", "2", "--pairs", "8",
            "--restarts", "2", "--steps", "2"]
    with pytest.raises(SystemExit):
        main(args + ["--splits", "0,2", "--out", str(tmp_path / "bad")])
    assert "--radius" in capsys.readouterr().err
    assert main(args + ["--splits", "0,2", "--radius", "1", "--out", str(tmp_path / "s")]) == 0
    saved = json.loads((tmp_path / "s" / "srec.json").read_text())
    assert saved["n"] == 3 * 32 * 32 and [c["r2"] for c in saved["curves"]] == [0.0, 1.0]


def test_stylegan_as_a_layered_generator_composes_to_G():
    import torch

    from ilo_solver.generators.stylegan2 import StyleGAN2Generator
    from ilo_solver.generators.stylegan_layered import StyleGANLayered
    torch.manual_seed(0)
    G = StyleGAN2Generator(32, style_dim=32, n_mlp=2, channels={4: 32, 8: 32, 16: 16, 32: 16}).requires_grad_(False)
    L = StyleGANLayered(G)
    z = torch.randn(3, 32)
    with torch.no_grad():
        full = G(z)
        for s in range(L.num_blocks + 1):
            assert torch.allclose(L.forward_from(L.forward_to(z, s), s), full, atol=1e-5), s
    assert L.latent_shape(L.num_blocks) == (3, 32, 32) and L.latent_shape(1)[0] == 32 * 4 * 4 + 3 * 4 * 4 + 32


def test_classify_task_writes_probabilities_and_range_distance(tmp_path):
    out = tmp_path / "c"
    assert main(["classify", "--class", "trouser", "--out", str(out), "--steps-scale", "0.02",
                 "--restarts", "2", "--radius", "100", "--no-progress"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["target"] == "trouser" and m["classifier"] == "robust" and 0 <= m["probability"] <= 1
    assert m["probability"] == m["probability_robust"] and m["range_distance"] >= 0 and "psnr" not in m
    cfg = json.loads((out / "config.json").read_text())
    assert [r["radius"] for r in cfg["method"]["rounds"][1:]] == [100.0] * 3 and cfg["method"]["r1"] == 10.0
    assert cfg["method"]["fit"]["ce_weight"] == 1 and cfg["method"]["fit"]["mse_weight"] == 0
    assert Image.open(out / "reconstruction.png").size == (64, 64)
    ref = tmp_path / "r"
    assert main(["classify", "--class", "bag", "--classifier", "standard", "--image",
                 "astronaut", "--anchor", "10", "--method", "csgm", "--out", str(ref), "--steps-scale", "0.02",
                 "--no-progress"]) == 0
    m = json.loads((ref / "metrics.json").read_text())
    assert m["to_reference"] > 0 and m["classifier"] == "standard" and m["range_distance"] < 1e-3   # CSGM: in range


@pytest.mark.parametrize("args,msg", [
    (["classify"], "the following arguments are required: --class"),
    (["classify", "--class", "frog"], "invalid choice: 'frog'"),
    (["classify", "--class", "bag", "--anchor", "1"], "--anchor needs --image"),
    (["classify", "--class", "bag", "--method", "sgilo"], "invalid choice: 'sgilo'"),
    (["classify", "--class", "bag", "--classifier", "/none.safetensors"], "/none.safetensors"),
    (["classify", "--class", "bag", "--observation", "x.png"], "unrecognized arguments: --observation"),
    (["classify", "--class", "bag", "--anchor", "nan", "--image", "astronaut"], "anchor"),
    (["solve", "--task", "classify"], "invalid choice: 'classify'"),
    (["solve", "--task", "denoise", "--image", "astronaut", "--class", "bag"], "unrecognized arguments: --class"),
    (["solve", "--task", "denoise", "--image", "astronaut", "--method", "csgm", "--radius", "5"], "radius applies"),
    (["solve", "--task", "denoise", "--image", "astronaut", "--radius", "-5"], "radius must be >= 0"),
])
def test_classify_arguments_are_checked(tmp_path, capsys, args, msg):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as e:
        main([*args, "--out", str(out), "--no-progress"])
    assert e.value.code == 2 and msg in capsys.readouterr().err
    assert not out.exists()


def test_train_prior_output_names_cannot_collide_with_its_checkpoint(tmp_path, capsys):
    """--out NAME.ckpt used to be the checkpoint itself (deleted after the final save, exit 0) and --out NAME.json
    the sidecar (written over the weights): both are refused before any work."""
    for name in ("s.ckpt", "s.json", "s"):
        with pytest.raises(SystemExit) as e:
            main(["train-prior", "--out", str(tmp_path / name), "--steps", "1"])
        assert e.value.code == 2 and "must end in .pt" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args,msg", [
    (["solve", "--image", "astronaut", "--task", "denoise", "--seed", str(2 ** 64)], "--seed must be an integer"),
    (["solve", "--image", "astronaut", "--task", "denoise", "--sigma", "1e300"], "sigma must be finite and in"),
    (["solve", "--image", "astronaut", "--task", "denoise", "--dead-zone", "1e308"], "dead_zone_weight must be"),
    (["solve", "--image", "astronaut", "--task", "denoise", "--out", ""], "no name of its own"),
    (["srec", "--pairs", "10000000", "--restarts", "4"], "--pairs must lie in"),
    (["srec", "--delta", "1e300"], "--delta must be finite"),
    (["train-prior", "--width", "4096", "--depth", "16", "--steps", "1"], "would need about"),
])
def test_values_that_would_fail_after_the_work_are_refused_before_it(tmp_path, capsys, args, msg):
    """Each of these used to run (minutes, or gigabytes) and then fail with an internal message or an overflow."""
    out = ["--out", str(tmp_path / ("o.pt" if args[0] == "train-prior" else "o"))]
    with pytest.raises(SystemExit) as e:
        main([*args, *([] if "--out" in args else out), "--no-progress"])
    assert e.value.code == 2 and msg in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_gzip_bomb_in_the_data_is_refused_with_its_name(tmp_path):
    import gzip

    from ilo_solver.priors.classifiers import MAX_IDX_BYTES, load_fashion_mnist
    with gzip.open(tmp_path / "train-images-idx3-ubyte.gz", "wb") as f:
        f.write(b"\x00\x00\x08\x03" + b"\x00" * (MAX_IDX_BYTES + 16))       # 64 MiB of zeros: a ~64 KB file
    assert (tmp_path / "train-images-idx3-ubyte.gz").stat().st_size < 200_000
    with gzip.open(tmp_path / "train-labels-idx1-ubyte.gz", "wb") as f:
        f.write(b"\x00\x00\x08\x01\x00\x00\x00\x01\x00")
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.gz decompresses to more than"):
        load_fashion_mnist("train", tmp_path)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(b"\x00" * 100)[:20])   # truncated
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.gz cannot be decompressed"):
        load_fashion_mnist("train", tmp_path)


def test_a_failed_convert_leaves_nothing_behind(tmp_path, capsys):
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(SystemExit):
        main(["convert", str(tmp_path / "bad.pt"), str(tmp_path / "new" / "deeper" / "g.safetensors")])
    assert "ilo: error" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.pt"]


def test_srec_splits_must_be_distinct(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["srec", "--splits", "0,0", "--out", str(tmp_path / "o"), "--no-progress"])
    assert "--splits must be distinct" in capsys.readouterr().err


def test_the_parsers_choices_are_the_librarys_and_parse_without_torch():
    """The parsers' lists (ilo_solver/cli/_names.py) equal the library's, and building every parser -- all that
    --help and an argument error need -- imports neither torch nor the library (a mistake is reported at once)."""
    import subprocess
    import sys

    from ilo_solver import presets
    from ilo_solver.cli import _names
    from ilo_solver.physics.tasks import TASKS
    from ilo_solver.priors.classifiers import CLASSES
    from ilo_solver.solvers.srec import MEASUREMENTS
    assert tuple(TASKS) == _names.TASKS and tuple(MEASUREMENTS) == _names.MEASUREMENTS
    assert tuple(CLASSES) == _names.CLASSES
    assert {p: presets.methods(p) for p in presets.PRIORS} == _names.METHODS
    code = ("import sys\nfrom ilo_solver.cli import main\ntry:\n    main(['solve', '--bogus'])\nexcept SystemExit:\n"
            "    pass\nheavy = sorted(m for m in ('torch', 'numpy', 'ilo_solver.presets', 'ilo_solver.runs') "
            "if m in sys.modules)\nprint('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "HEAVY []" in out.stdout and "the following arguments are required: --task, --out" in out.stderr, out


def test_help_states_the_measured_time_at_defaults(capsys):
    """Every command the benchmark measures says its time at defaults in --help, read from
    ilo_solver/data/cli_times.json (written by benchmarks/cli_times.py, never typed); every dcgan-faces method of
    `ilo solve` has a measurement, so a new method without one fails here."""
    from ilo_solver.cli._args import measured_times, time_line
    from ilo_solver.cli._names import METHODS
    rec = measured_times()
    assert {"machine", "date", "script", "commands"} <= set(rec)
    assert {f"solve --method {m}" for m in METHODS["dcgan-faces"]} <= set(rec["commands"])
    for cmd in ("solve", "srec", "classify", "render", "train-prior"):
        with pytest.raises(SystemExit):
            main([cmd, "--help"])
        out = capsys.readouterr().out
        assert "Time at defaults:" in out and rec["date"] in out, cmd
    assert all(v["seconds"] > 0 for v in rec["commands"].values())
    assert time_line("no-such-command") == ""
