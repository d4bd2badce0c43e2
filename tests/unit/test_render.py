"""ilo_solver.render and `ilo render`: a result re-renders bit for bit from its saved state; a state is refused by
another prior; line 5 renders the range's closest point on request; a result without a state is one clear error."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from ilo_solver.cli import main
from ilo_solver.render import load_solution, prior_checksum, render


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    out = tmp_path_factory.mktemp("r") / "res"
    assert main(["solve", "--image", "astronaut", "--task", "inpaint", "--method", "ilo", "--steps-scale", "0.02",
                 "--restarts", "2", "--no-progress", "--out", str(out)]) == 0
    return out


def test_a_result_re_renders_bit_for_bit(solved, tmp_path, capsys):
    capsys.readouterr()
    assert main(["render", str(solved), "--out", str(tmp_path / "again.png")]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["identical"] is True and summary["max_level_difference"] == 0 and summary["split"] == 3
    assert np.array_equal(np.asarray(Image.open(tmp_path / "again.png")), np.asarray(Image.open(solved /
                                                                                              "reconstruction.png")))
    tensors, meta = load_solution(solved / "state.safetensors")
    assert tensors["code"].shape[0] == 1 and meta["method"] == "ilo" and json.loads(meta["config"])["restarts"] == 2
    with pytest.raises(SystemExit):
        main(["render", str(solved), "--out", str(tmp_path / "again.png")])     # exists: refused
    assert "exists; not overwriting it" in capsys.readouterr().err


def test_a_csgm_result_whose_latent_is_its_code_re_renders(tmp_path, capsys):
    out = tmp_path / "csgm"
    assert main(["solve", "--image", "astronaut", "--task", "denoise", "--method", "csgm", "--steps-scale", "0.02",
                 "--no-progress", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["render", str(out), "--out", str(tmp_path / "c.png")]) == 0
    assert json.loads(capsys.readouterr().out)["identical"] is True


def test_an_sgilo_result_re_renders_as_the_mean_of_its_chains_codes(tmp_path, capsys):
    out = tmp_path / "sgilo"
    assert main(["solve", "--image", "astronaut", "--task", "inpaint", "--method", "sgilo", "--steps-scale", "0.05",
                 "--restarts", "2", "--no-progress", "--out", str(out)]) == 0
    tensors, meta = load_solution(out / "state.safetensors")
    assert meta["kind"] == "posterior-mean" and meta["method"] == "sgilo" and tensors["code"].shape[0] >= 2
    capsys.readouterr()
    assert main(["render", str(out), "--out", str(tmp_path / "s.png")]) == 0
    assert json.loads(capsys.readouterr().out)["identical"] is True
    with pytest.raises(ValueError, match="not to SGILO's posterior mean"):
        render(out, project_back=10)


def test_another_prior_is_refused_and_line5_renders_the_range(solved):
    from ilo_solver.generators.dcgan import load_dcgan_faces
    G = load_dcgan_faces()
    x, _ = render(solved, G=G)
    assert x.shape == (3, 64, 64)
    with torch.no_grad():
        next(G.parameters()).add_(1e-3)                                   # one weight tensor moved
    assert prior_checksum(G) != load_solution(solved / "state.safetensors")[1]["prior_sha256"]
    with pytest.raises(ValueError, match="a different generator; refusing to render"):
        render(solved, G=G)
    G = load_dcgan_faces()
    back, _ = render(solved, G=G, project_back=30)
    assert back.shape == (3, 64, 64) and float((back - x).abs().mean()) > 0   # G(z): a point of the range


def test_results_without_a_state_and_bad_states_are_refused(tmp_path, capsys):
    out = tmp_path / "tv"
    assert main(["solve", "--image", "astronaut", "--task", "denoise", "--method", "tv", "--no-progress", "--out",
                 str(out)]) == 0
    with pytest.raises(ValueError, match="holds no state.safetensors"):
        render(out)
    (out / "state.safetensors").write_bytes(b"not a state")
    with pytest.raises(ValueError, match="is not a readable solution state"):
        render(out)
