"""The l1 phase transition from the statistical dimension (ilo_theory.phase): the reference values of the curve,
the sympy twin, and the statistical dimension's own properties."""
import numpy as np
import pytest

from ilo_theory import phase as P

DELTAS = (0.1, 0.25, 0.5, 0.75, 0.9)


@pytest.mark.parametrize("signed, expected", [(True, (0.189, 0.267, 0.386, 0.534, 0.678)),
                                              (False, (0.241, 0.365, 0.558, 0.766, 0.903))])
def test_threshold_reference_values(signed, expected):
    got = P.l1_threshold(np.array(DELTAS), signed=signed)
    assert np.allclose(got, expected, atol=0.01), got


def test_threshold_inverts_the_statistical_dimension_and_sympy_agrees():
    for signed in (True, False):
        for d in DELTAS:
            rho = float(P.l1_threshold(d, signed))
            assert abs(float(P.l1_statistical_dimension(rho * d, signed)) - d) < 1e-10
            assert abs(float(P.l1_threshold_sym(d, signed)) - rho) < 1e-9


def test_statistical_dimension_properties():
    """psi increases from 0 to 1; the nonnegative cone is smaller (fewer measurements); psi(rho) >= rho (the
    support's own dimension) and <= the infimand at tau = 0, which is 1."""
    r = np.linspace(0, 1, 41)
    for signed in (True, False):
        psi = P.l1_statistical_dimension(r, signed)
        assert psi[0] == 0 and psi[-1] == 1 and np.all(np.diff(psi) > 0) and np.all(psi >= r - 1e-12)
    assert np.all(P.l1_statistical_dimension(r[1:-1], False) < P.l1_statistical_dimension(r[1:-1], True))


def test_errors():
    for bad in (0.0, 1.5, -0.1):
        with pytest.raises(ValueError, match="delta"):
            P.l1_threshold(bad)
    with pytest.raises(ValueError, match="rho"):
        P.l1_statistical_dimension(1.2)
