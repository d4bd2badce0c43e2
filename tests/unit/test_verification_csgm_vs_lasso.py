"""verification.csgm_vs_lasso (CSGM's Fig. 1 as a claim) and verification.uncertainty (SGILO's spread): the
statistics on hand-made results -- the censoring of the Lasso's need, the verdicts, and the controls failing."""
import math

import numpy as np
import pytest

from verification import csgm_vs_lasso as C
from verification import uncertainty as U
from verification._common import evaluate


def test_lasso_needs_interpolates_in_log_log_and_censors_at_the_grid_top():
    ms = [100, 1000, 10000]
    assert C.lasso_needs(ms, [1.0, 0.1, 0.01], 0.1) == (pytest.approx(1000.0), False)
    m, cens = C.lasso_needs(ms, [1.0, 0.1, 0.01], math.sqrt(0.1 * 0.01))     # halfway in log error -> log m
    assert m == pytest.approx(math.sqrt(1000 * 10000)) and not cens
    assert C.lasso_needs(ms, [1.0, 0.1, 0.01], 1e-3) == (10000.0, True)       # never reached: a lower bound
    assert C.lasso_needs(ms, [0.01, 0.001, 1e-4], 0.1) == (100.0, False)      # reached at once
    assert C.lasso_needs(ms, [1.0, 0.5, 0.6], 0.5) == (pytest.approx(1000.0), False)   # the first crossing


def _result(sample_err: float, photo_csgm: float, photo_ilo: float, n: int = 10, far_gen: float = 0.05,
            mean_face: float = 0.08) -> dict:
    """A hand-made result: the Lasso's error falls as 10/m on every image (wavelet: twice that); the generators'
    errors at m_g = 500 are given per set (ILO = CSGM on samples; ``far_gen`` for both on the non-faces)."""
    cfg = dict(C.Config().__dict__)
    cfg = {**cfg, "ms": [100, 250, 500, 1000, 2000, 4000], "generator_ms": [500], "m_claim": 500}
    images = [f"sample:{i}" for i in range(n)] + [f"face:{30 + i}" for i in range(n)] + list(C.FAR[:n // 2])
    N = len(images)
    jitter = np.exp(np.random.default_rng(0).normal(0, 0.1, N))
    lasso = {str(m): (10.0 / m * jitter).tolist() for m in cfg["ms"]}
    sets = {"samples": list(range(n)), "photos": list(range(n, 2 * n)), "far": list(range(2 * n, N))}

    def per_set(samples, photos):
        errs = np.concatenate([np.full(n, samples), np.full(n, photos), np.full(N - 2 * n, far_gen)])
        return (errs * jitter).tolist()
    curves = {k: {"lasso_dct": lasso, "lasso_wavelet": {m: [2 * e for e in v] for m, v in lasso.items()},
                  "csgm": {"500": per_set(sample_err, photo_csgm)}, "ilo": {"500": per_set(sample_err, photo_ilo)}}
              for k in C.OPERATORS}
    return dict(config=cfg, images=images, sets=sets, curves=curves, mean_face=[mean_face] * N)


def test_the_ratio_claims_hold_fail_and_their_controls_fail():
    # samples: CSGM at 500 reaches 10/4000 -> the Lasso needs ~4000: ratio ~8 > 5; photos: CSGM's error is the
    # Lasso's at 1000 (ratio 2 < 5: capped), ILO's at 4000 (ratio 8); every control must fail
    rows = evaluate(C, _result(10 / 4000, 10 / 1000, 10 / 4000))
    assert len(rows) == 6 and all(r.verdict == "holds" for r in rows), rows
    assert all(v == "fails" for r in rows for _, v in r.controls)
    # CSGM as good on photos as on samples: not capped; ILO no better than CSGM at 1000: fails
    by = {r.id: r.verdict for r in C.claims(_result(10 / 1000, 10 / 4000, 10 / 1000))}
    assert by == {f"csgm_vs_lasso.{k}_{n}": "fails" for k in C.OPERATORS
                  for n in ("samples", "photos_csgm_capped", "photos_ilo")}
    # beyond the grid (censored at 4000): still a lower bound of 8 -> holds
    assert C.claims(_result(1e-6, 10 / 1000, 1e-6))[0].verdict == "holds"
    # too few images cannot hold
    assert all(r.verdict == "inconclusive" for r in C.claims(_result(10 / 4000, 10 / 1000, 10 / 4000, n=4)))


def test_config_refuses_an_unmeasured_claim_level():
    with pytest.raises(ValueError, match="m_claim must be one of generator_ms"):
        C.Config(m_claim=300)
    with pytest.raises(ValueError, match="ms must be increasing"):
        C.Config(ms=(500, 100))


def _u_result(own: float, other: float, n: int = 12) -> dict:
    rng = np.random.default_rng(1)

    def s(r):
        return dict(spearman=float(r + rng.normal(0, 0.03)), coverage=0.6, scale=0.5)
    rows = [dict(image=f"sample:{i}", samples=20, rmse=0.1 + 0.01 * i, mean_std=0.05 + 0.002 * i, own=s(own),
                 shuffled_std=s(0.0), other_image_std=s(other)) for i in range(n)]
    return dict(config=dict(U.Config().__dict__), rows=rows, maps=[])


def test_uncertainty_claim_and_its_controls():
    rows = evaluate(U, _u_result(own=0.5, other=0.05))
    assert rows[0].verdict == "holds" and all(v == "fails" for _, v in rows[0].controls)
    # a spread that is only "faces are uncertain at the edges": the other image's map does as well -> not falsifiable
    assert evaluate(U, _u_result(own=0.5, other=0.5))[0].verdict == "not falsifiable"
    assert evaluate(U, _u_result(own=0.05, other=0.05))[0].verdict == "fails"
    assert evaluate(U, _u_result(own=0.5, other=0.05, n=4))[0].verdict == "inconclusive"
