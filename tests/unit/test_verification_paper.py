"""verification.paper at --quick size: every claim of the paper gets a verdict, its controls run, the outputs are
written together, and a second run reuses the result."""
import json

import pytest

from verification import paper
from verification._common import VERDICTS


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("paper")
    assert paper.main(["--quick", "--out", str(out)]) == 0
    return out


@pytest.mark.slow   # the quick reproduction (~90 s)
def test_quick_reproduction_reports_every_claim_with_controls(quick):
    rows = json.loads((quick / "report.json").read_text())
    ids = {r["id"] for r in rows}
    assert ids == {"paper.inpaint_2x", "paper.denoise_25", "paper.superres_32px", "paper.circulant_5pct",
                   "paper.superres_pulse", "paper.inpaint_1pct", "paper.sna", "paper.runtime_budget",
                   "paper.runtime_improves", "paper.csgm_converged"}
    for r in rows:
        assert r["verdict"] in VERDICTS and r["controls"], r["id"]
        # CSGM in ILO's place, the mean face, no extra steps: these controls can never look like ILO's gain
        for name, verdict in r["controls"]:
            if name in ("csgm_for_ilo", "mean_face_for_ilo", "no_extra_steps", "under_run_csgm"):
                assert verdict == "fails", (r["id"], name)
    res = json.loads((quick / "paper.json").read_text())["result"]
    assert {row["panel"] for row in res["figure2"]} == set(paper.PANELS)
    assert all(row["csgm_lpips"] is None for row in res["figure2"] if row["panel"] == "circulant")
    # the evaluation set runs one CSGM variant per claim level, chosen on the held-out curve photos
    evaluation = [row for row in res["figure2"] if row["set"] == "eval"]
    assert {row["image"] for row in evaluation} == {"astronaut", "face:33", "face:41", "sample:0", "sample:1"}
    assert all((row["csgm"] is None) != (row["csgm_lpips"] is None) for row in evaluation)
    assert not {row["image"] for row in evaluation} & {row["image"] for row in res["figure2"] if row["set"] == "curve"}
    assert (quick / "paper.png").stat().st_size > 10_000
    tables = (quick / "tables.md").read_text()
    assert "### Table 1" in tables and "face:33" in tables and "sample:0" in tables and "3 photos, pooled" in tables


@pytest.mark.slow
def test_quick_reproduction_is_reused_and_refuses_the_committed_directory(quick, capsys):
    assert paper.main(["--quick", "--out", str(quick)]) == 0
    captured = capsys.readouterr()
    assert "reused" in captured.out + captured.err
    with pytest.raises(SystemExit):
        paper.main(["--quick", "--out", "docs/paper"])
    with pytest.raises(SystemExit):
        paper.main(["--workers", "0"])


def test_denoising_observation_is_clipped_to_the_image_range():
    import torch
    img = torch.rand(3, 8, 8) * 2 - 1
    task, y = paper._problem("denoise", 256, img, 0)
    assert float(y.abs().max()) <= 1 and abs(task.sigma - 2 * 256 / 255) < 1e-12 and task.fit.sna_sigma == task.sigma
