"""Offline assets: pinned checksums (the pretrained packages' files and the shipped score model), and the LPIPS
pickles decoded by the one restricted unpickler (numeric arrays and containers only)."""
import pickle

import pytest

from ilo_solver.io import assets
from ilo_solver.io.safe_pickle import RestrictedUnpickler, UnsafePickleError


def test_the_lpips_decoder_refuses_code():
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))
    with pytest.raises(UnsafePickleError, match="refusing to load global builtins.print"):
        RestrictedUnpickler(pickle.dumps({"a": Evil()})).load()


def test_checksum_mismatch_is_refused(monkeypatch):
    key = ("gan_face_generate", "weights.tar")
    monkeypatch.setitem(assets.PINNED, key, "0" * 64)
    with pytest.raises(assets.AssetError, match="sha256"):
        assets.package_file(*key)
    monkeypatch.setitem(assets.PINNED_DATA, assets.SHIPPED_SCORE, "0" * 64)
    with pytest.raises(assets.AssetError, match="sha256"):
        assets.shipped_score_path()


def test_the_lpips_cache_is_checked_against_a_pinned_digest(tmp_path, monkeypatch):
    """A zeroed npz with a matching self-written checksum gave "lpips": 0.0; the cache is now checked against the
    digest recorded in the code, and a cache that does not match is converted again."""
    import numpy as np
    monkeypatch.setenv("ILO_CACHE_DIR", str(tmp_path))
    good = assets.lpips_weights("alex")
    zeroed = {k: np.zeros_like(v) for k, v in good.items()}
    np.savez(tmp_path / "lpips_alex.npz", **zeroed)
    (tmp_path / "lpips_alex.sha256").write_text(assets.sha256(tmp_path / "lpips_alex.npz"))
    back = assets.lpips_weights("alex")
    assert assets.arrays_digest(back) == assets.PINNED_LPIPS["alex"]
    assert all(np.array_equal(back[k], good[k]) for k in good)
