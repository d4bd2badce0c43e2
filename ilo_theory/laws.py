r"""Scaling laws as laws: a measured rate judged by a fitted exponent with a CI **and** against rival laws.

A theorem that says "m grows like K² log p" or "the deviation decays like n^(-1/2)" makes a claim about a *law*. A
direction ("m grows with K") is passed by m ∝ K, m ∝ log K, even by a censored grid top; a law is not. This module
turns per-instance measurements into a verdict on a law:

- **data**: ``Y[i, c]`` = the measurement of independent instance ``i`` in cell ``c`` (cells = the grid of K, p, m,
  ...; columns of one instance may share randomness, rows are independent), ``inf`` for a right-censored value (e.g.
  m* beyond the measurement grid).
- **cell summary**: the per-cell median. With one common censoring point (the grid's end) every censored value lies
  above every observed one, so the sample median is exact while fewer than half of a cell is censored (the
  Kaplan-Meier median for a common censoring time), and ``inf`` (the cell is censored) otherwise -- a censored
  value is never read as a measurement.
- **laws**: each a feature ``f(cells)``; the model is ``median = a_g + b f`` (an intercept per group of cells -- e.g.
  m*_0(p) per p -- and one coefficient: the same number of parameters for every law, so no law wins by having more
  of them; a law whose feature is constant within groups has the intercepts alone, one fewer), or
  ``log median = a_g + b log f`` for :func:`power_law`.
- **model selection** (stated in every verdict): the leave-one-cell-out prediction error (PRESS: each cell predicted
  by the law fitted to the other cells), the standard held-out criterion for a handful of design points; a law wins
  a bootstrap replicate when its PRESS is the least. The win rate is the fraction of replicates it wins, resampling
  independent instances (within each ``group`` of columns that share instances).
- **exponent**: the predicted law's exponent re-fitted as a free parameter (profile least squares over a grid) with
  a bootstrap CI; the law holds only if that CI covers the prediction.

Verdict (:meth:`LawComparison.verdict`): "holds" when the predicted law wins at least ``win`` of the replicates and
its exponent CI covers the prediction; "fails" when a cell is censored, the exponent CI excludes the prediction, or
a rival wins at least ``win`` of the replicates; else "inconclusive".

Sources: PRESS, Allen (1974) Technometrics 16:125; the bootstrap, Efron & Tibshirani (1993) ch. 13; censored
medians, Kaplan & Meier (1958). The laws themselves cite their theorems where they are built (``verification``).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

import numpy as np

__all__ = ["Law", "affine_law", "power_law", "censored_median", "press", "profile_exponent", "LawComparison",
           "compare_laws", "rival_data", "power_exponent", "judge_exponent"]


@dataclasses.dataclass(frozen=True)
class Law:
    """``y = a + b f(cells)`` (``log=False``) or ``log y = a + b log f(cells)`` (``log=True``, a power law whose
    exponent is b). ``f`` maps the cells' covariates (a dict of arrays, one entry per cell) to one value per cell."""
    name: str
    f: Callable[[Mapping[str, np.ndarray]], np.ndarray]
    log: bool = False


def affine_law(name: str, f: Callable[[Mapping[str, np.ndarray]], np.ndarray]) -> Law:
    """``y = a + b f``: e.g. ``affine_law("K^2 log p", lambda c: c["K"] ** 2 * np.log(c["p"]))``."""
    return Law(name, f, log=False)


def power_law(name: str, variable: str) -> Law:
    """``y = c x^b`` in the cell covariate ``variable``, fitted as ``log y = log c + b log x`` (b the exponent)."""
    return Law(name, lambda c: np.asarray(c[variable], float), log=True)


def censored_median(Y: np.ndarray) -> np.ndarray:
    """Per column, the median of right-censored values (``inf`` = censored at a common point beyond every observed
    value): exact while fewer than half are censored, ``inf`` otherwise (numpy's median orders ``inf`` last)."""
    Y = np.asarray(Y, float)
    if np.any(np.isnan(Y)):
        raise ValueError("measurements must not be NaN (use inf for a censored value)")
    return np.median(Y, axis=0)


def _design(law: Law, cells: Mapping[str, np.ndarray], y: np.ndarray):
    x = np.asarray(law.f(cells), float)
    if law.log:
        if np.any(x <= 0) or np.any(y <= 0):
            return None
        x, y = np.log(x), np.log(y)
    return x, y


def press(x: np.ndarray, y: np.ndarray, groups=None) -> float:
    """Leave-one-out prediction error sum of squares of the least-squares fit ``y = a_g + b x`` (one intercept per
    group label, one common slope; Allen 1974): the residuals ``e_i / (1 - h_ii)`` of the hat matrix. A feature that
    is constant within every group adds nothing (the intercepts absorb it) and is dropped, leaving the intercepts
    alone. ``inf`` when a point has leverage 1 (its own fit decides it) or there are no more points than
    parameters."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    X = _intercepts(np.zeros(x.size, int) if groups is None else groups)
    resid = x - X @ np.linalg.lstsq(X, x, rcond=None)[0]
    if np.ptp(resid) > 1e-12 * max(np.abs(x).max(), 1e-300):
        X = np.concatenate([X, x[:, None]], 1)
    if x.size <= X.shape[1]:
        return np.inf
    H = X @ np.linalg.pinv(X)
    h = np.diag(H)
    if np.any(h > 1 - 1e-9):
        return np.inf
    e = y - H @ y
    return float(np.sum((e / (1 - h)) ** 2))


BETAS = np.linspace(0.0, 4.0, 401)   # the exponent grid of profile_exponent (resolution 0.01)


def _intercepts(labels) -> np.ndarray:
    labels = np.asarray(labels)
    return np.stack([(labels == g).astype(float) for g in dict.fromkeys(labels.tolist())], 1)


def profile_exponent(x: np.ndarray, y: np.ndarray, *, g: np.ndarray | None = None, groups=None,
                     betas: np.ndarray = BETAS) -> float:
    r"""The exponent :math:`\beta` of ``y = a_grp + b g x^beta`` by profile least squares over ``betas`` (for each
    :math:`\beta` the fit in :math:`g x^\beta` with one intercept per group is exact least squares; the
    :math:`\beta` with the least residual wins, ties to the smallest). ``g`` (default 1) is a known factor such as
    :math:`\log p`. Cells with x = 0 enter as 0 (the intercepts' cells). NaN when no :math:`\beta` leaves the
    feature varying within a group."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    g = np.ones_like(x) if g is None else np.asarray(g, float)
    betas = np.asarray(betas, float)
    X0 = _intercepts(np.zeros(x.size, int) if groups is None else groups)
    P = np.eye(x.size) - X0 @ np.linalg.pinv(X0)                 # removes each group's mean
    with np.errstate(divide="ignore"):
        F = g[None, :] * np.where(x[None, :] > 0, np.abs(x)[None, :] ** betas[:, None], 0.0)   # [nb, C]
    Fc, yc = F @ P, P @ y
    sxx = (Fc ** 2).sum(1)
    ok = sxx > 1e-12 * np.maximum((F ** 2).sum(1), 1e-300)
    rss = np.where(ok, yc @ yc - (Fc @ yc) ** 2 / np.where(ok, sxx, 1.0), np.inf)
    if not np.any(np.isfinite(rss)):
        return float("nan")
    return float(betas[int(np.argmin(np.round(rss, 12)))])


@dataclasses.dataclass(frozen=True)
class LawComparison:
    """What :func:`compare_laws` measured. ``press`` / ``win_rate`` per law name; ``exponent`` (point, lo, hi) of the
    predicted law's free exponent (None if not asked) and ``tolerance``, the exponent resolution the CI is widened by
    (medians of values on a grid move in steps); ``coefficient`` (point, lo, hi) of the predicted law's b;
    ``censored``: cells whose median is censored; ``replicates``: bootstrap replicates; ``instances``: independent
    instances per group."""
    predicted: str
    press: dict
    win_rate: dict
    exponent: tuple | None
    predicted_exponent: float | None
    tolerance: float
    coefficient: tuple
    censored: list
    replicates: int
    instances: dict
    rise: tuple | None = None
    effect: float | None = None
    exponent_variable: str = ""

    @property
    def winner(self) -> str:
        return max(self.win_rate, key=self.win_rate.get)

    @property
    def covers(self) -> bool:
        """The exponent CI (widened by ``tolerance``) covers the predicted exponent (True when none is asked)."""
        if self.exponent is None:
            return True
        lo, hi = self.exponent[1:]
        return bool(lo - self.tolerance <= self.predicted_exponent <= hi + self.tolerance)

    def verdict(self, win: float = 0.9) -> str:
        """See the module docstring: "holds" / "fails" / "inconclusive"."""
        if self.censored or not self.covers or any(r >= win for n, r in self.win_rate.items() if n != self.predicted):
            return "fails"
        if self.effect is not None and not self.rise[2] > self.effect:
            return "fails"
        grows = self.effect is None or self.rise[1] > self.effect
        return "holds" if self.win_rate[self.predicted] >= win and grows else "inconclusive"

    def verdict_at_most(self, null: str, win: float = 0.9) -> str:
        """The predicted law read as an *upper bound* on the growth (a theorem that says "m = O(K^2) suffices"):
        "fails" when a cell is censored, the exponent's CI lies above the prediction (faster growth) or the law
        ``null`` (no growth) wins at least ``win`` of the replicates; "holds" when the CI lies at or below the
        prediction (each widened by the tolerance), its lower end is above 0 and ``null`` wins under ``1 - win``;
        else "inconclusive"."""
        if self.exponent is None:
            raise ValueError("verdict_at_most needs the fitted exponent (compare_laws(exponent=...))")
        lo, hi = self.exponent[1:]
        if self.censored or lo - self.tolerance > self.predicted_exponent or self.win_rate.get(null, 0) >= win:
            return "fails"
        if self.effect is not None and not self.rise[2] > self.effect:
            return "fails"
        ok = hi - self.tolerance <= self.predicted_exponent and lo > 0 and self.win_rate.get(null, 0) < 1 - win
        ok = ok and (self.effect is None or self.rise[1] > self.effect)
        return "holds" if ok else "inconclusive"

    def summary(self) -> str:
        """One line for a claim report: the exponent with its CI, each law's held-out error and win rate."""
        parts = []
        if self.censored:
            parts.append(f"censored cells (median beyond the grid): {'; '.join(self.censored)}")
        if self.exponent is not None:
            e = self.exponent
            parts.append(f"exponent {e[0]:.2f} [{e[1]:.2f}, {e[2]:.2f}] (predicted {self.predicted_exponent:g}, "
                         f"resolution {self.tolerance:g})")
        if self.rise is not None:
            r = self.rise
            parts.append(f"rise (median at the largest / smallest {self.exponent_variable}) x{r[0]:.2f} [{r[1]:.2f}, "
                         f"{r[2]:.2f}] (least {self.effect:g})")
        c = self.coefficient
        if np.isfinite(c[0]):
            parts.append(f"coefficient {c[0]:.3g} [{c[1]:.3g}, {c[2]:.3g}]")
        ranks = sorted(self.press, key=lambda n: (self.press[n], n))
        parts.append("laws by held-out error (PRESS; bootstrap win rate): " + ", ".join(
            f"{n}{' (predicted)' if n == self.predicted else ''} {self.press[n]:.3g} ({self.win_rate[n]:.0%})"
            for n in ranks))
        return "; ".join(parts)

    def ci_text(self) -> str:
        groups = ", ".join(f"{k}: {v}" for k, v in self.instances.items())
        return (f"95% percentile bootstrap, {self.replicates} replicates over independent instances ({groups}); "
                "model selection: least leave-one-cell-out error (PRESS) of the cell medians, one intercept per "
                "group and one coefficient for every law")


def _columns(groups, C):
    labels = np.zeros(C, int) if groups is None else np.asarray(groups)
    if labels.shape != (C,):
        raise ValueError(f"groups must give one label per cell ({C}), got shape {labels.shape}")
    return {g: np.flatnonzero(labels == g) for g in dict.fromkeys(labels.tolist())}, labels


def _check_inputs(Y, cells, laws, predicted):
    Y = np.asarray(Y, float)
    if Y.ndim != 2 or Y.shape[0] < 2:
        raise ValueError(f"Y must be [instances >= 2, cells], got shape {Y.shape}")
    cells = {k: np.asarray(v, float) for k, v in cells.items()}
    if any(v.shape != (Y.shape[1],) for v in cells.values()):
        raise ValueError(f"every covariate needs one value per cell ({Y.shape[1]})")
    names = [law.name for law in laws]
    if predicted not in names or len(set(names)) != len(names) or len(laws) < 3:
        raise ValueError(f"need the predicted law {predicted!r} among >= 3 distinct laws (>= 2 rivals), got {names}")
    return Y, cells


def _ci(point, draws):
    draws = np.asarray(draws, float)
    draws = draws[np.isfinite(draws)]
    if draws.size == 0:
        return (float(point), np.nan, np.nan)
    lo, hi = np.quantile(draws, [0.025, 0.975])
    return (float(point), float(lo), float(hi))


def compare_laws(Y, cells: Mapping[str, np.ndarray], laws: list[Law], predicted: str, *,
                 exponent: tuple | None = None, groups=None, boot: int = 2000, seed: int = 0,
                 fit_cells=None, tolerance: float = 0.1, effect: float | None = None) -> LawComparison:
    """Judge the law named ``predicted`` against the other ``laws`` on ``Y`` ``[instances, cells]`` (inf =
    censored; NaN = not measured: an instance with a NaN in a group is left out of that group).

    ``cells``: covariates, one array of length ``cells`` per name. ``exponent``: ``(variable, factor, beta)`` -- the
    predicted law is ``a_grp + b factor(cells) variable^beta``; its free exponent is profiled and bootstrapped and its
    CI, widened by ``tolerance``, must cover ``beta`` (``factor`` None = 1). ``groups``: a label per cell; the columns
    of one label share instances (rows) and get their own intercept, different labels are independent and resampled
    independently. ``fit_cells``: a boolean mask of the cells the laws are fitted on (default all). ``effect``: the
    least growth the claim needs -- the ratio of the median at the largest value of the exponent's variable to the
    median at its smallest (among the fitted cells, the least over groups) must exceed it (its CI entirely below
    it: "fails"); a law of growth is not confirmed by data that do not grow."""
    Y, cells = _check_inputs(Y, cells, laws, predicted)
    C = Y.shape[1]
    mask = np.ones(C, bool) if fit_cells is None else np.asarray(fit_cells, bool)
    cols, labels = _columns(groups, C)
    rows = {g: np.flatnonzero(~np.isnan(Y[:, c]).any(1)) for g, c in cols.items()}
    if any(r.size < 2 for r in rows.values()):
        raise ValueError("every group needs at least 2 complete instances")
    if effect is not None and exponent is None:
        raise ValueError("effect needs exponent (its variable orders the cells)")
    sub, lab = {k: v[mask] for k, v in cells.items()}, labels[mask]
    pred = next(law for law in laws if law.name == predicted)

    def stats(med):
        m = med[mask]
        if not np.all(np.isfinite(m)):
            return None
        pr = {}
        for law in laws:
            d = _design(law, sub, m)
            pr[law.name] = np.inf if d is None else press(*d, lab)
        d = _design(pred, sub, m)
        coef = np.nan
        if d is not None:
            X = np.concatenate([_intercepts(lab), d[0][:, None]], 1)
            coef = float(np.linalg.lstsq(X, d[1], rcond=None)[0][-1])
        beta, rise = np.nan, np.nan
        if exponent is not None:
            var, factor, _ = exponent
            beta = profile_exponent(sub[var], m, g=None if factor is None else factor(sub), groups=lab)
            rise = min(m[lab == g][np.argmax(sub[var][lab == g])] / m[lab == g][np.argmin(sub[var][lab == g])]
                       for g in dict.fromkeys(lab.tolist()))
        return pr, coef, beta, rise

    def medians(index):
        med = np.empty(C)
        for g, c in cols.items():
            med[c] = censored_median(Y[index[g]][:, c])
        return med

    full = medians(rows)
    point = stats(full)
    rng = np.random.default_rng(seed)
    wins = dict.fromkeys(pr0 := (point[0] if point else dict.fromkeys((law.name for law in laws), np.inf)), 0)
    coefs, betas, rises = [], [], []
    for _ in range(boot):
        s = stats(medians({g: r[rng.integers(0, r.size, r.size)] for g, r in rows.items()}))
        if s is None:
            continue                 # a censored replicate: no law wins it
        best = min(s[0].values())
        winners = [n for n, v in s[0].items() if v == best]
        if np.isfinite(best) and len(winners) == 1:
            wins[winners[0]] += 1
        coefs.append(s[1])
        betas.append(s[2])
        rises.append(s[3])
    return LawComparison(
        predicted=predicted, press=pr0, win_rate={n: w / boot for n, w in wins.items()},
        exponent=None if exponent is None else _ci(point[2] if point else np.nan, betas),
        predicted_exponent=None if exponent is None else float(exponent[2]), tolerance=float(tolerance),
        coefficient=_ci(point[1] if point else np.nan, coefs),
        censored=[", ".join(f"{k}={cells[k][j]:g}" for k in cells) for j in np.flatnonzero(~np.isfinite(full) & mask)],
        replicates=boot, instances={str(g): int(r.size) for g, r in rows.items()},
        rise=None if effect is None else _ci(point[3] if point else np.inf, rises), effect=effect,
        exponent_variable="" if exponent is None else exponent[0])


def rival_data(Y, cells: Mapping[str, np.ndarray], law: Law, *, base_cells, top_cells, groups=None) -> np.ndarray:
    """A negative control for a law claim: the measurements as they would be if ``law`` (a rival) were true, with the
    measured noise kept. In each group, every instance's value is ``Y[base] + s (f(c) - f(base))`` plus that value's
    measured deviation from its cell's median, with ``s`` set so that the mean rise from the group's base cell to its
    top cell equals the measured one (``s = 0`` for a law constant within the group). Censored values stay censored.
    ``base_cells`` / ``top_cells``: boolean masks with exactly one base and one top cell per group."""
    Y = np.asarray(Y, float)
    cols, _ = _columns(groups, Y.shape[1])
    base, top = np.asarray(base_cells, bool), np.asarray(top_cells, bool)
    f = np.asarray(law.f({k: np.asarray(v, float) for k, v in cells.items()}), float)
    out = Y.copy()
    for c in cols.values():
        if base[c].sum() != 1 or top[c].sum() != 1:
            raise ValueError("need exactly one base and one top cell per group")
        b, t = int(np.flatnonzero(base[c])[0]), int(np.flatnonzero(top[c])[0])    # positions within the group
        Yg = Y[:, c]
        fin = np.isfinite(Yg).all(1)
        df = f[c] - f[c][b]
        s = np.mean(Yg[fin, t] - Yg[fin, b]) / df[t] if df[t] != 0 else 0.0
        noise = Yg - np.median(Yg[fin], axis=0)
        sim = Yg[:, b:b + 1] + s * df[None, :] + np.where(np.isfinite(noise), noise, 0.0)
        sim[:, b] = Yg[:, b]
        out[:, c] = np.where(np.isfinite(Yg), sim, np.inf)
    return out


def power_exponent(Y, x, *, paired: bool = False, boot: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    """The exponent b of ``y ~ c x^b``: the least-squares slope of log(mean of each column of ``Y``) against
    log ``x`` (``Y`` ``[instances, len(x)]``, positive; NaN = not measured), with a 95% percentile bootstrap CI over
    the instances -- each column resampled on its own (independent instances per x) or, ``paired``, the rows
    together (one instance measured at every x). Returns (b, lo, hi)."""
    Y, x = np.asarray(Y, float), np.asarray(x, float)
    if Y.ndim != 2 or Y.shape[1] != x.size or x.size < 2 or np.any(x <= 0) or np.any(Y[~np.isnan(Y)] <= 0):
        raise ValueError(f"need Y [instances, {x.size}] > 0 and x > 0 with >= 2 values, got Y {Y.shape}")
    lx = np.log(x)
    lx = lx - lx.mean()

    def slope(M):
        return float(lx @ np.log(np.nanmean(M, 0)) / (lx @ lx))
    rng = np.random.default_rng(seed)
    cols = [Y[~np.isnan(Y[:, j]), j] for j in range(x.size)]
    if any(c.size < 2 for c in cols):
        raise ValueError("every x needs at least 2 instances")
    draws = []
    for _ in range(boot):
        if paired:
            draws.append(slope(Y[rng.integers(0, Y.shape[0], Y.shape[0])]))
        else:
            draws.append(float(lx @ np.log([c[rng.integers(0, c.size, c.size)].mean() for c in cols]) / (lx @ lx)))
    lo, hi = np.quantile(draws, [0.025, 0.975])
    return slope(Y), float(lo), float(hi)


def judge_exponent(est: tuple, predicted: float, rivals: Mapping[str, float], *, tolerance: float = 0.0) -> str:
    """A fitted exponent (b, lo, hi) against the predicted one and rival laws' exponents: "holds" when the CI
    (widened by ``tolerance``) covers the prediction and excludes every rival, "fails" when it excludes the
    prediction, else "inconclusive" (the data cannot tell the law from a rival)."""
    lo, hi = est[1] - tolerance, est[2] + tolerance
    if not lo <= predicted <= hi:
        return "fails"
    return "holds" if all(not lo <= r <= hi for r in rivals.values()) else "inconclusive"
