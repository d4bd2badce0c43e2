"""The algorithms, each a pure function ``solver(G, y, op, *, config, rng) -> result`` on the parts below: ILO
(Algorithm 1 of Daras et al. 2021) and CSGM on any layered generator (:mod:`.ilo`), the StyleGAN-2 rounds of ILO,
PULSE and CSGM (:mod:`.ilo_stylegan`), SGILO's Langevin posterior sampling (:mod:`.sgilo`), the extended-range
estimators of Theorem 1 (:mod:`.extended_range`), the S-REC estimate of a generator (:mod:`.srec`), classifier
guidance (:mod:`.guidance`), the classical prior-free baselines (:mod:`.classical`: bicubic, biharmonic fill,
TV, NL-means, least squares), the sparsity baseline of compressed sensing (:mod:`.sparsity`: Lasso in a DCT or
wavelet basis) and the untrained prior (:mod:`.untrained`: the deep decoder).

Import rule: ``solvers`` may import every part below it (``optim``, ``fit``, ``physics``, ``generators``, ``priors``,
``io``) and never :mod:`ilo_solver.presets`, :mod:`ilo_solver.storage` or the CLI, which sit above it.
"""
from .classical import ClassicalConfig, classical, lstsq_cg
from .extended_range import (ExtendedRangeFit, ExtendedRangePath, fit_extended_range, fit_extended_range_path,
                             srec_extended_range)
from .guidance import GUIDANCE_R1, class_probability, classify_fit, classify_task, guidance_sweep, range_distance
from .ilo import ILOConfig, ILOResult, csgm_config, ilo, ilo_many, with_radius
from .ilo_stylegan import (
                           StyleCSGMConfig,
                           StyleILOConfig,
                           StyleILOResult,
                           csgm_stylegan,
                           ilo_stylegan,
                           pulse_config,
                           style_fit,
)
from .sgilo import SGILOConfig, SGILOResult, bayes_parameters, langevin_posterior, sgilo
from .srec import MEASUREMENTS, SRECCurve, srec_curve, typical_delta
from .sparsity import LassoConfig, lasso
from .untrained import DeepDecoderConfig, deep_decoder

__all__ = ["ILOConfig", "ILOResult", "ilo", "ilo_many", "csgm_config", "with_radius", "StyleILOConfig",
           "StyleILOResult",
           "ilo_stylegan", "pulse_config", "StyleCSGMConfig", "csgm_stylegan", "style_fit", "SGILOConfig",
           "SGILOResult", "sgilo", "langevin_posterior", "bayes_parameters", "ExtendedRangeFit", "fit_extended_range",
           "ExtendedRangePath", "fit_extended_range_path", "srec_extended_range",
           "SRECCurve", "srec_curve", "typical_delta", "MEASUREMENTS", "classify_task",
           "classify_fit", "class_probability", "range_distance", "guidance_sweep", "GUIDANCE_R1", "ClassicalConfig",
           "classical", "lstsq_cg", "DeepDecoderConfig", "deep_decoder", "LassoConfig", "lasso"]
