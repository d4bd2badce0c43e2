"""`python -m verification CLAIM --set KEY=VALUE`: a researcher's own sizes for one claim, typed by the Config's
fields, never into the committed directories; --list-config documents the fields."""
import json

import pytest

from verification import phase
from verification.__main__ import main, override


def test_override_reads_each_fields_type_and_refuses_the_rest():
    cfg = override(phase.QUICK, ["trials=3", "deltas=0.25,0.5", "band=0.2", "rhos=(0.1,)"])
    assert (cfg.trials, cfg.deltas, cfg.band, cfg.rhos) == (3, (0.25, 0.5), 0.2, (0.1,))
    assert override(phase.QUICK, ["deltas=0.5"]).deltas == (0.5,)
    with pytest.raises(ValueError, match="KEY one of d, deltas, rhos, trials, band"):
        override(phase.QUICK, ["trails=3"])
    with pytest.raises(ValueError, match=r"--set trials: cannot read 'x' as a int"):
        override(phase.QUICK, ["trials=x"])


def test_set_runs_one_claim_at_the_researchers_size(tmp_path, capsys):
    out = tmp_path / "mine"
    assert main(["phase", "--quick", "--set", "trials=3", "--set", "deltas=0.5", "--out", str(out)]) == 0
    saved = json.loads((out / "phase.json").read_text())
    assert saved["key"]["config"]["trials"] == 3 and saved["key"]["config"]["deltas"] == [0.5]
    assert "phase." in (out / "report.md").read_text()
    for argv, msg in ((["phase", "--set", "trials=3"], "name exactly one CLAIM and an --out"),
                      (["phase", "srec", "--set", "trials=3", "--out", str(out)], "name exactly one CLAIM"),
                      (["phase", "--set", "trials=3", "--out", "docs/figures"], "never go into the committed")):
        with pytest.raises(SystemExit):
            main(argv)
        assert msg in capsys.readouterr().err
    assert main(["phase", "--list-config"]) == 0
    assert "trials (int): 12 | 6" in capsys.readouterr().out


def test_a_tuple_of_names_takes_bare_comma_separated_names():
    from verification import csgm_vs_lasso
    from verification.__main__ import override
    cfg = override(csgm_vs_lasso.DEFAULT, ["photos=astronaut, face:33", "far=('coffee',)", "samples=0,1,2"])
    assert cfg.photos == ("astronaut", "face:33") and cfg.far == ("coffee",) and cfg.samples == (0, 1, 2)


def test_srec_runs_on_a_researchers_own_generator(tmp_path, monkeypatch, capsys):
    """`python -m verification srec --generator mygen:make --set ...`: the check runs on the user's LayeredGenerator
    (the rate row names it), and a spec that cannot be loaded is one clear error before any work."""
    (tmp_path / "mygen.py").write_text(
        "import torch\nfrom ilo_solver.generators import ReLUGenerator\n\n\n"
        "def make():\n    return ReLUGenerator((3, 24, 60), rng=torch.Generator().manual_seed(0))\n\n\n"
        "def wrong():\n    return torch.nn.Linear(3, 3)\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    out = tmp_path / "out"
    rc = main(["srec", "--generator", "mygen:make", "--set", "ms=10,20,40", "--set", "draws=3", "--set",
               "random_pairs=200", "--set", "restarts=2", "--set", "adv_steps=20", "--set", "tail_draws=2000",
               "--out", str(out)])
    assert rc == 0
    rows = {r["id"]: r for r in json.loads((out / "report.json").read_text())}
    assert "mygen:make (k=3, n=60)" in rows["srec.rate"]["measured"]
    assert rows["srec.rate"]["controls"]                         # the repeated-rows control and the rival laws
    saved = json.loads((out / "srec.json").read_text())
    assert saved["key"]["config"]["generator"] == "mygen:make"
    for spec, msg in (("mygen:wrong", "not a LayeredGenerator"), ("nomodule:make", "cannot import it"),
                      ("mygen", "expected 'package.module:factory'")):
        with pytest.raises(SystemExit):
            main(["srec", "--generator", spec, "--out", str(tmp_path / "bad")])
        assert msg in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["covering", "--generator", "mygen:make", "--out", str(tmp_path / "bad")])
    assert "--generator applies to one CLAIM that takes a generator: srec, extended_srec" in capsys.readouterr().err


def test_extended_srec_runs_on_a_researchers_own_generator(tmp_path, monkeypatch):
    """`python -m verification extended_srec --generator mygen:make`: m*(K) of the user's generator at its split,
    judged as a law with its controls; the p-law row says one generator cannot decide it."""
    (tmp_path / "mygen2.py").write_text(
        "import torch\nfrom ilo_solver.generators import ReLUGenerator\n\n\n"
        "def make():\n    return ReLUGenerator((3, 32, 96), rng=torch.Generator().manual_seed(0))\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    out = tmp_path / "out"
    rc = main(["extended_srec", "--generator", "mygen2:make", "--set", "ms=4,8,16,32,64,96", "--set", "draws=3",
               "--set", "Ks=0,2", "--set", "l2_Ks=2", "--set", "pairs=30", "--set", "hard_pairs=5", "--set",
               "restarts=2", "--set", "steps=10", "--out", str(out)])
    assert rc == 0
    rows = {r["id"]: r for r in json.loads((out / "report.json").read_text())}
    assert rows["extended_srec.grows_with_K"]["verdict"] in ("holds", "fails", "inconclusive", "not falsifiable")
    assert "p=32" in rows["extended_srec.grows_with_K"]["measured"]
    assert rows["extended_srec.grows_with_K"]["controls"]
    assert rows["extended_srec.not_p"]["verdict"] == "inconclusive"
    assert "one p (32)" in rows["extended_srec.not_p"]["measured"]
    saved = json.loads((out / "extended_srec.json").read_text())["result"]
    assert saved["config"]["ps"] == [32] and {c["K"] for c in saved["cells"]} == {0.0, 2.0, 32 ** 0.5 / 2, 32 ** 0.5}


def test_lipschitz_estimate_matches_the_dense_jacobian():
    """The power-iteration estimate of G2's Lipschitz constant (a fast path) against the dense Jacobians' largest
    spectral norm at the same codes (the slow reference)."""
    import torch

    from ilo_solver.generators import ReLUGenerator
    from verification.extended_srec import lipschitz_estimate
    G = ReLUGenerator((4, 32, 64, 128), rng=torch.Generator().manual_seed(0))
    est = lipschitz_estimate(G, 1, rng=torch.Generator().manual_seed(1))
    h = G.forward_to(G.sample_latent(16, rng=torch.Generator().manual_seed(1)), 1).detach()
    dense = max(float(torch.linalg.matrix_norm(torch.autograd.functional.jacobian(
        lambda x: G.forward_from(x[None], 1)[0], h[i]), 2)) for i in range(16))
    assert est == pytest.approx(dense, rel=1e-6)
