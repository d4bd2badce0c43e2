"""The mathematics of ILO (Daras et al., ICML 2021) and SGILO (ICML 2022) as code.

One module per mathematical object:

- :mod:`ilo_theory.srec`      -- S-REC and the CSGM lemmas/theorems (Bora et al., ICML 2017).
- :mod:`ilo_theory.bounds`    -- ILO Theorem 1 and Remarks 1-3 (extended range, measurements, error).
- :mod:`ilo_theory.covering`  -- covering numbers: volumetric, Maurey, Schuett, Sudakov, crossover scale.
- :mod:`ilo_theory.circulant` -- partial circulant matrices: ILO Lemma 1, Krahmer-Ward, Hinrichs-Vybiral.
- :mod:`ilo_theory.landscape` -- Hand-Voroninski quantities: g(theta), rho_d, h_x, WDC, Laplace covariance.
- :mod:`ilo_theory.symbolic`  -- the sympy twins of every bound and the derivations a teacher would show.

Every public function cites its source and the tag of its constants (docs/theory_notes.md): [V] verified in a primary
artefact, [R] recalled standard result, [X] reconstructed from OCR (a parameter), [D] derived here.
"""
from . import bounds, circulant, covering, landscape, srec, symbolic  # noqa: F401

__all__ = ["bounds", "circulant", "covering", "landscape", "srec", "symbolic"]
