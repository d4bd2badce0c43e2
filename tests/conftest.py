import os

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, settings

# `ci`: deterministic (derandomize) so a CI run cannot flake, no deadline on a shared 2-core machine.
settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
# `make test-portability` runs the suite with oneDNN off as one of its kernel variants (no environment variable of
# torch's own switches it).
if os.environ.get("ILO_TEST_MKLDNN") == "0":
    torch.backends.mkldnn.enabled = False


@pytest.fixture
def rng():
    """A fresh, seeded torch.Generator per test (CPU): the toolkit's ``rng`` argument."""
    return torch.Generator().manual_seed(1234)


@pytest.fixture
def np_rng():
    """A fresh, seeded numpy Generator per test (the numpy code of ilo_theory)."""
    return np.random.default_rng(1234)


@pytest.fixture(params=["cpu"] + (["cuda"] if torch.cuda.is_available() else []))
def device(request):
    """Every device this machine has (CPU always; the meta-device tests cover the GPU paths without one)."""
    return torch.device(request.param)
