"""The mathematics of ILO (Daras et al., ICML 2021) and SGILO (ICML 2022) as code.

One module per mathematical object:

- :mod:`ilo_theory.srec`      -- S-REC and the CSGM lemmas/theorems (Bora et al., ICML 2017).
- :mod:`ilo_theory.bounds`    -- ILO Theorem 1 and Remarks 1-3 (extended range, measurements, error).
- :mod:`ilo_theory.covering`  -- covering numbers: volumetric, Maurey, Schuett, Sudakov, crossover scale.
- :mod:`ilo_theory.circulant` -- partial circulant matrices: ILO Lemma 1, Krahmer-Ward, Hinrichs-Vybiral.
- :mod:`ilo_theory.landscape` -- Hand-Voroninski quantities: g(theta), rho_d, h_x, WDC, Laplace covariance.
- :mod:`ilo_theory.symbolic`  -- the sympy twins of every bound and the derivations a teacher would show.
- :mod:`ilo_theory.phase`     -- the ℓ1 phase transition: statistical dimension ψ(ρ) and the Donoho-Tanner curve.
- :mod:`ilo_theory.laws`      -- judging a measured scaling law against rival laws (fitted exponents, CIs).

**Shapes and units, once for all.** Every numeric function broadcasts its arguments elementwise like numpy: scalars
in, a Python float out; arrays in, an array of the broadcast shape out (a K grid against a p grid gives the table).
Dimensions (k latent, p intermediate, n output, m measurements, s sparsity, P points, d depth) are counts; radii
(:math:`r_1`, :math:`r_2`, r), scales (ε, δ) and errors are Euclidean norms in the space they live in (the latent,
the intermediate layer, the image), except the ℓ1 ball's radius, an ℓ1 norm; a "measurement count" is a number of
rows of A, up to the source's unspecified absolute constant C (a parameter, 1 by default); log-covering numbers are in
nats. Matrices (``W`` in :mod:`~ilo_theory.landscape`) are ``[rows, columns]`` numpy arrays acting on column vectors.

Every public function cites its source and the tag of its constants (docs/theory_notes.md): [V] verified in a primary
artefact, [R] recalled standard result, [X] reconstructed from OCR (a parameter), [D] derived here.
"""
from . import bounds, circulant, covering, landscape, laws, phase, srec, symbolic  # noqa: F401

__all__ = ["bounds", "circulant", "covering", "landscape", "laws", "phase", "srec", "symbolic"]
