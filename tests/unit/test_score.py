"""The score model and its SDE (ilo_solver.priors.score), saved and loaded by ilo_solver.storage."""
import pytest
import torch

from ilo_solver.priors.score import VPSDE, ScoreModel
from ilo_solver.storage import load_score, save_score

P = 16


def test_vpsde_constants():
    sde = VPSDE()
    t = torch.tensor(0.01, dtype=torch.float64)
    assert float(sde.beta(t)) == pytest.approx(0.299)
    assert float(sde.sigma(t)) == pytest.approx(0.0446, abs=1e-4)  # docs/theory_notes.md §6


def test_save_load_keeps_the_standardisation_and_shapes_are_checked(tmp_path):
    torch.manual_seed(0)   # parameter init of a test model
    model = ScoreModel((P,), width=16, depth=2).double().eval()
    model.mean.fill_(0.3)
    model.std.fill_(1.7)   # non-default standardisation, so that a loader dropping it would be caught
    save_score(model, tmp_path / "s.pt", seed=1)
    back = load_score(tmp_path / "s.pt")
    x = torch.randn(3, P, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    assert torch.equal(back(x, 0.1), model(x, 0.1))
    with pytest.raises(ValueError, match="shape"):
        ScoreModel((2, 3))
