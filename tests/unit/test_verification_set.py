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
