"""Files in and out, below everything else: pinned package assets (:mod:`.assets`), image files (:mod:`.images`),
the face in a photo (:mod:`.faces`), the opcode pre-scan every pickle passes before it is read (:mod:`.pickle_scan`),
torch payloads read without trusting them (:mod:`.torch_payload`), the restricted unpickler for NVIDIA network
pickles (:mod:`.safe_pickle`) and files placed whole and exclusively (:mod:`.files`).

Import rule: ``io`` imports nothing from ``ilo_solver`` outside itself (every other part may import it). Result
directories and configs are written by :mod:`ilo_solver.storage`, which sits above the solvers because it knows
their config types.
"""
from .assets import AssetError, package_file, sha256, shipped_path, shipped_score_path
from .images import BUILTIN, FORMATS, fit_to_prior, load_image, to_uint8
from .safe_pickle import RestrictedUnpickler, UnsafePickleError, safe_torch_load

__all__ = ["AssetError", "package_file", "sha256", "shipped_path", "shipped_score_path", "BUILTIN", "FORMATS",
           "fit_to_prior", "load_image", "to_uint8", "RestrictedUnpickler", "UnsafePickleError", "safe_torch_load"]
