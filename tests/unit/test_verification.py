"""Every claim runs in --quick mode; verdicts are asserted where the theory is unambiguous."""
import json

import pytest

from verification import CHECKS
from verification.__main__ import main, run_checks
from verification._common import ClaimRow, Control, SerialExecutor, wilson

# claims whose verdict must be "holds" at quick size (exact identities or robust effects)
MUST_HOLD = {"srec.fixed_x_tail", "srec.rate", "covering.crossover", "covering.maurey_lemma", "covering.explicit_net",
             "covering.uniform_samples", "circulant.fft_oracle", "circulant.isotropy", "circulant.jl_vs_gaussian",
             "landscape.spurious_point", "landscape.negation_step", "landscape.wdc", "langevin.laplace",
             "langevin.step_size_bias", "langevin.hitting", "theorem1.u_shape", "theorem1.algorithm1",
             "extended_srec.not_p", "circulant.srec_extended", "phase.l1_transition",
             "guidance.robust_radius_raises_probability", "guidance.robust_radius_leaves_range",
             "guidance.standard_is_adversarial"}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("quick")
    rows = run_checks(list(CHECKS), quick=True, out=out, seed=0, executor=SerialExecutor(), progress=False)
    return out, rows


@pytest.mark.slow   # the quick verification run (module fixture, ~25 s)
def test_report_has_every_claim_with_a_verdict(quick_run):
    out, rows = quick_run
    report = json.loads((out / "report.json").read_text())
    assert len(report) == len(rows) >= 21
    for r in report:
        assert set(r) == {"id", "source", "statement", "predicted", "measured", "ci", "verdict", "controls"}
        assert r["verdict"] in ("holds", "fails", "inconclusive", "not falsifiable") and r["controls"]
    assert (out / "report.md").read_text().count("\n|") >= len(rows)
    for name in CHECKS:
        assert (out / f"{name}.png").stat().st_size > 10_000


@pytest.mark.parametrize("claim", sorted(MUST_HOLD))
@pytest.mark.slow   # the quick verification run (module fixture, ~25 s)
def test_unambiguous_claims_hold(quick_run, claim):
    _, rows = quick_run
    row = {r.id: r for r in rows}[claim]
    assert row.verdict == "holds", row


@pytest.mark.slow   # the quick verification run (module fixture)
def test_every_claim_has_controls_and_every_control_fails(quick_run):
    """The negative controls: every claim has at least one; at quick size none of them "holds" (a control that passes
    would make its claim "not falsifiable"), and each comes out "fails" wherever its claim holds at quick size (a law
    judged against rivals may be undecided at quick size: it is sized to decide at default size); and no claim reads
    "not falsifiable"."""
    from verification._common import evaluate, load_json
    out, rows = quick_run
    assert rows and all(r.controls for r in rows)
    for r in rows:
        assert r.verdict != "not falsifiable", r
        for name, verdict in r.controls:
            assert verdict != "holds" and (verdict == "fails" or r.verdict != "holds"), (r.id, name, verdict)
    for name, mod in CHECKS.items():
        ids = {r.id for r in mod.claims(load_json(out / f"{name}.json")["result"])}
        assert ids <= {c for ctl in mod.CONTROLS for c in ctl.claims}, name
        assert evaluate(mod, load_json(out / f"{name}.json")["result"])


def test_a_passing_control_makes_its_claim_not_falsifiable():
    """The rule itself: a claim whose control does not fail is reported "not falsifiable", never "holds"; a claim
    without a control is an error."""
    import types

    from verification._common import Control, evaluate

    def claims(res):
        return [ClaimRow("x.a", "s", "st", "p", "m", "holds" if res["ok"] else "fails")]
    check = types.SimpleNamespace(ID="x", claims=claims, CONTROLS=(
        Control("broken", "b", ("x.a",), lambda res: {"ok": res["broken_ok"]}),))
    assert evaluate(check, {"ok": True, "broken_ok": False})[0].verdict == "holds"
    row = evaluate(check, {"ok": True, "broken_ok": True})[0]
    assert row.verdict == "not falsifiable" and row.controls == (("broken", "holds"),)
    assert evaluate(check, {"ok": False, "broken_ok": True})[0].verdict == "fails"
    check.CONTROLS = ()
    with pytest.raises(ValueError, match="no negative control"):
        evaluate(check, {"ok": True})


@pytest.mark.slow   # the quick verification run (module fixture, ~25 s)
def test_results_are_reused_unless_forced(quick_run, monkeypatch):
    out, _ = quick_run
    calls = []
    mod = CHECKS["covering"]
    monkeypatch.setattr(mod, "run", lambda *a, **k: calls.append(1) or (_ for _ in ()).throw(AssertionError))
    run_checks(["covering"], quick=True, out=out, seed=0, executor=SerialExecutor(), progress=False)
    assert not calls


def test_cli_rejects_unknown_claim(capsys):
    with pytest.raises(SystemExit):
        main(["nonsense", "--quick"])
    assert "unknown claim" in capsys.readouterr().err


def test_claim_row_validates_verdict():
    with pytest.raises(ValueError, match="verdict"):
        ClaimRow("a", "b", "c", "d", "e", "maybe")


def test_wilson_interval_contains_estimate():
    lo, hi = wilson(30, 100)
    assert lo < 0.3 < hi and lo >= 0 and hi <= 1


@pytest.mark.slow   # the quick verification run (module fixture, ~25 s)
def test_running_one_claim_keeps_the_others_in_the_report(quick_run):
    out, rows = quick_run
    again = run_checks(["circulant"], quick=True, out=out, seed=0, executor=SerialExecutor(), progress=False)
    assert [r.id for r in again] == [r.id for r in rows]


def _threads(_):
    import numba
    import torch
    return torch.get_num_threads(), numba.get_num_threads()


def test_worker_processes_are_single_threaded_and_agree_with_serial():
    """``--workers N``: each worker runs one torch and one numba thread (their full pools, N times over, made the
    pool ten times slower than one process), and a sweep gives the same rows as in process with one thread (bit for
    bit: the cells are seeded by index; other thread counts change the last bits of reductions)."""
    import dataclasses

    import numba
    import torch

    from verification import theorem1
    from verification._common import make_executor
    cfg = dataclasses.replace(theorem1.QUICK, p=64, n=128, factors=(0.0, 1.0, theorem1.INF), ms=(16,), instances=4,
                              batch=2, restarts=2, steps=20, srec_pairs=20, srec_hard=5, srec_restarts=2, srec_steps=5,
                              alg1=1)
    with make_executor(2) as ex:
        assert set(ex.map(_threads, range(4))) == {(1, 1)}
        pooled = theorem1.run(cfg, seed=0, executor=ex)
    threads = torch.get_num_threads(), numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        torch.set_num_threads(1)
        assert pooled == theorem1.run(cfg, seed=0, executor=make_executor(1))
    finally:
        numba.set_num_threads(threads[1])
        torch.set_num_threads(threads[0])
    with pytest.raises(ValueError, match="workers"):
        make_executor(0)


def test_runner_is_safe_with_its_output(tmp_path, monkeypatch, capsys):
    """A corrupt cached result is reported and recomputed (not a crash); a reused result says when and where it
    was computed; a second concurrent run into the same directory stops clearly; --quick never writes into the
    committed docs/figures; --strict exits 1 on a failing claim."""
    import fcntl
    import json

    from verification import covering
    out = tmp_path / "q"   # covering is the fastest check (about 1 s at quick size)
    run_checks(["covering"], quick=True, out=out, seed=0, executor=SerialExecutor())
    saved = json.loads((out / "covering.json").read_text())
    assert set(saved["computed"]) == {"at", "host", "cpu", "capability", "torch", "python"}
    assert "covering: computed " in (out / "report.md").read_text()      # where each result was computed
    png = (out / "covering.png").read_bytes()
    capsys.readouterr()
    run_checks(["covering"], quick=True, out=out, seed=0, executor=SerialExecutor())
    assert "covering: reused (computed " in _said(capsys)
    assert (out / "covering.png").read_bytes() == png   # a reused result is not redrawn: the file is untouched
    (out / "covering.json").write_text('{"key": ')   # truncated
    rows = run_checks(["covering"], quick=True, out=out, seed=0, executor=SerialExecutor())
    assert "cannot be read" in _said(capsys) and any(r.id.startswith("covering.") for r in rows)
    with open(out / ".lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(SystemExit) as e:
            main(["covering", "--quick", "--out", str(out)])
        assert e.value.code == 2 and "another verification run" in _said(capsys)
    with pytest.raises(SystemExit):
        main(["covering", "--quick", "--out", "docs/figures"])
    assert "never go into the committed" in _said(capsys)
    monkeypatch.setattr(covering, "claims", lambda result: [ClaimRow("covering.x", "s", "st", "p", "m", "fails")])
    monkeypatch.setattr(covering, "CONTROLS", (Control("c", "b", ("covering.x",), lambda r: r),))
    assert main(["covering", "--quick", "--out", str(out), "--strict"]) == 1
    assert main(["covering", "--quick", "--out", str(out)]) == 0
    # a claim whose control passes is not falsifiable: --strict exits 1 on it too
    monkeypatch.setattr(covering, "claims", lambda result: [ClaimRow("covering.x", "s", "st", "p", "m", "holds")])
    assert main(["covering", "--quick", "--out", str(out), "--strict"]) == 1
    assert "not falsifiable" in _said(capsys)


def test_a_figure_is_redrawn_only_when_its_result_changes(tmp_path, monkeypatch):
    """The PNG carries the digest of the result drawn: reusing every result leaves the figure's bytes alone (another
    CPU can rasterise the same data a few pixels apart, which would dirty a fresh clone); a changed result, a
    foreign or missing PNG and --replot redraw it."""
    from verification import covering
    from verification.__main__ import FIGURE_KEY, figure_is_current
    out = tmp_path / "q"
    run_checks(["covering"], quick=True, out=out, seed=0, executor=SerialExecutor(), progress=False)
    png = out / "covering.png"
    drawn = []
    plot = covering.plot
    monkeypatch.setattr(covering, "plot", lambda r: drawn.append(1) or plot(r))
    run_checks(["covering"], quick=True, out=out, seed=0, executor=SerialExecutor(), progress=False)
    assert drawn == []
    run_checks(["covering"], quick=True, out=out, seed=0, executor=SerialExecutor(), progress=False, replot=True)
    assert drawn == [1]
    png.write_bytes(b"not a png")
    assert not figure_is_current(png, "x")
    run_checks(["covering"], quick=True, out=out, seed=0, executor=SerialExecutor(), progress=False)
    assert drawn == [1, 1] and figure_is_current(png, __import__("PIL.Image").Image.open(png).text[FIGURE_KEY])
    saved = json.loads((out / "covering.json").read_text())
    saved["result"]["edited"] = 1                       # a result changed under the same key
    (out / "covering.json").write_text(json.dumps(saved))
    run_checks(["covering"], quick=True, out=out, seed=0, executor=SerialExecutor(), progress=False)
    assert drawn == [1, 1, 1]


def _said(capsys) -> str:
    c = capsys.readouterr()
    return c.out + c.err


def test_bisection_over_a_grid_equals_a_linear_scan():
    """bisect_grid (the m* searches of theorem1 and extended_srec) against the obvious scan, for monotone
    predicates with thresholds anywhere, including before the grid and past its end."""
    import numpy as np

    from verification._common import bisect_grid
    rng = np.random.default_rng(0)
    for length in (1, 2, 7, 16):
        thresholds = rng.integers(0, length + 1, 50)          # the first passing index; length = never
        got = bisect_grid(length, thresholds.size, lambda idx, t=thresholds: idx >= t)
        scan = [next((i for i in range(length) if i >= t), length) for t in thresholds]
        assert got.tolist() == scan


@pytest.mark.slow   # starts a two-process Dask cluster (~10 s)
def test_a_sweep_on_a_dask_cluster_is_bit_identical_to_in_process(tmp_path):
    """``--scheduler``: the theorem1 sweep on a LocalCluster of two single-threaded worker processes gives the rows
    of an in-process run with one thread, bit for bit (seeds are arguments; pure=False: no call is merged)."""
    import dataclasses

    import numba
    import torch
    distributed = pytest.importorskip("distributed")

    from verification import theorem1
    from verification._common import dask_executor
    cfg = dataclasses.replace(theorem1.QUICK, p=64, n=128, factors=(0.0, 1.0, theorem1.INF), ms=(16,), instances=4,
                              batch=2, restarts=2, steps=20, srec_pairs=20, srec_hard=5, srec_restarts=2, srec_steps=5,
                              alg1=1, rec_Ks=(1.0, 4.0), rec_ms=(4, 16, 64))
    with distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None) as lc:
        with dask_executor(lc.scheduler_address) as ex:
            on_cluster = theorem1.run(cfg, seed=0, executor=ex)
        rows = run_checks(["covering"], quick=True, out=tmp_path, seed=0, executor=SerialExecutor(),
                          progress=False)
        assert main(["covering", "--quick", "--out", str(tmp_path / "d"), "--scheduler", lc.scheduler_address]) == 0
        again = json.loads((tmp_path / "d" / "report.json").read_text())
        assert [(r["id"], r["verdict"]) for r in again] == [(r.id, r.verdict) for r in rows]
    threads = torch.get_num_threads(), numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        torch.set_num_threads(1)
        assert on_cluster == theorem1.run(cfg, seed=0, executor=SerialExecutor())
    finally:
        numba.set_num_threads(threads[1])
        torch.set_num_threads(threads[0])
    with pytest.raises(SystemExit):
        main(["covering", "--quick", "--out", str(tmp_path / "e"), "--scheduler", "tcp://x:1", "--workers", "2"])


def test_runner_refuses_bad_executors_and_symlinked_locks(tmp_path, capsys):
    """--scheduler '' or foo and --workers 10**6 are one clear error (they ran in process silently, failed with a
    traceback, or would start a million processes); a .lock that is a symbolic link is not followed (it truncated
    its target)."""
    from verification._common import make_executor
    for args in (["--scheduler", ""], ["--scheduler", "foo"]):
        with pytest.raises(SystemExit) as e:
            main(["covering", "--quick", "--out", str(tmp_path / "q"), *args])
        assert e.value.code == 2 and "scheduler address" in _said(capsys)
    with pytest.raises(ValueError, match="workers must lie in"):
        make_executor(10 ** 6)
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    out = tmp_path / "l"
    out.mkdir()
    (out / ".lock").symlink_to(victim)
    with pytest.raises(SystemExit) as e:
        main(["covering", "--quick", "--out", str(out)])
    assert e.value.code == 2 and "cannot open the lock" in _said(capsys) and victim.read_text() == "keep me"


def test_a_saved_result_from_another_version_is_recomputed_not_a_crash(tmp_path, capsys):
    """Same key, but fields this version's claims do not know (another version wrote it): reported and
    recomputed."""
    import json
    out = tmp_path / "q"
    run_checks(["covering"], quick=True, out=out, seed=0, executor=SerialExecutor(), progress=False)
    saved = json.loads((out / "covering.json").read_text())
    saved["result"] = {"renamed": 1}
    (out / "covering.json").write_text(json.dumps(saved))
    rows = run_checks(["covering"], quick=True, out=out, seed=0, executor=SerialExecutor())
    assert "does not fit this version's claims" in _said(capsys) and rows


def test_a_directory_holding_another_registrys_report_is_refused(tmp_path, capsys):
    """A quick covering run into a copy of docs/paper rewrote its report with 0 paper rows."""
    import json
    out = tmp_path / "paper-copy"
    out.mkdir()
    (out / "report.json").write_text(json.dumps([{"id": "paper.inpaint_2x"}]))
    with pytest.raises(SystemExit) as e:
        main(["covering", "--quick", "--out", str(out)])
    assert e.value.code == 2 and "report of other checks (paper)" in _said(capsys)
    assert json.loads((out / "report.json").read_text()) == [{"id": "paper.inpaint_2x"}]


def test_theorem1_recovery_pairs_each_instance_with_its_own_network():
    """The m* bisection runs ILO and CSGM on the same truths in one batch of a batched generator whose instances are
    consecutive groups of rows: each instance's ILO and CSGM rows must go through its own network. (A batch laid out
    estimator-major sent them through the wrong networks, and every m* came out off the grid.) At the smallest K the
    truth is within the slack of the range, so both find m* on the grid (for most instances: at this tiny size a
    random restart can miss)."""
    import dataclasses
    import math

    from verification import theorem1
    cfg = dataclasses.replace(theorem1.QUICK, p=64, n=128, factors=(0.0, 1.0, math.inf), ms=(16,), batch=3,
                              instances=3, restarts=2, steps=60, srec_pairs=20, srec_hard=5, srec_restarts=2,
                              srec_steps=10, alg1=0, rec_Ks=(1.0, 8.0), rec_ms=(2, 4, 8, 16, 32, 64, 128))
    rows = theorem1._batch(cfg, 0, 0)
    for key in ("m_star", "m_star_csgm"):
        assert sum(r[key][0] is not None for r in rows) >= 2, [r[key] for r in rows]
    assert all(len(r["rec_dev"]) == len(r["rec_rhs"]) == 2 and r["rec_dev"][0] < r["rec_rhs"][0] for r in rows)


@pytest.mark.slow   # the quick verification run (module fixture)
def test_every_figure_is_slide_ready(quick_run):
    """Every check's figure, drawn from its quick result: every axis label, title and legend lies inside the canvas
    (nothing clipped at 1280x720 or in the docs), and no legend lists more than 10 entries."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from verification._common import load_json
    out, _ = quick_run
    for name, mod in CHECKS.items():
        fig = mod.plot(load_json(out / f"{name}.json")["result"])
        fig.canvas.draw()
        r = fig.canvas.get_renderer()
        box = fig.bbox
        texts = [fig._suptitle] if fig._suptitle is not None else []
        legends = list(fig.legends)
        for ax in fig.axes:
            texts += [ax.xaxis.label, ax.yaxis.label, ax.title]
            legends += [ax.get_legend()] if ax.get_legend() is not None else []
        for t in [t for t in texts if t.get_text()] + legends:
            b = t.get_window_extent(r)
            assert b.x0 >= -1 and b.y0 >= -1 and b.x1 <= box.x1 + 1 and b.y1 <= box.y1 + 1, (name, t)
        for leg in legends:
            assert len(leg.get_texts()) <= 10, (name, [x.get_text() for x in leg.get_texts()])
        plt.close(fig)
