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
