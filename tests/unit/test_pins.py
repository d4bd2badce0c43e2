"""The solvers' and verification estimators' CPU numbers, pinned before the solver-core refactor (one loop, one
schedule, one preset table): the refactor must reproduce them to 1e-6 relative. Where a number changes on purpose,
regenerate with ``python -m tests.unit.pins --write`` and say what and why in the README's change notes."""
import json
import math

import pytest

from . import pins

PINNED = json.loads(pins.PATH.read_text())


def _close(a, b, path):
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for k in a:
            _close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (u, v) in enumerate(zip(a, b, strict=True)):
            _close(u, v, f"{path}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        if a is None or b is None or (isinstance(a, float) and math.isinf(a)):
            assert a == b, path
        else:
            assert math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9), f"{path}: {a!r} != pinned {b!r}"
    else:
        assert a == b, f"{path}: {a!r} != pinned {b!r}"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(pins.PINS))
def test_pinned_numbers_are_reproduced(name):
    _close(json.loads(json.dumps(pins.run(name))), PINNED[name], name)
