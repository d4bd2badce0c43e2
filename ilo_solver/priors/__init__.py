"""Learned models that are not the generator itself: the score-based prior on intermediate codes that SGILO samples
with (:mod:`.score`), the Fashion-MNIST classifiers that guide classification-driven generation
(:mod:`.classifiers`), and the StyleGAN-2 latent statistics of PULSE / ILO (:mod:`.stylegan_latent`).

Import rule: ``priors`` may import :mod:`ilo_solver.optim`, :mod:`ilo_solver.fit` and :mod:`ilo_solver.io`; a
generator reaches it as an argument. Training functions return models; :mod:`ilo_solver.storage` saves them.
"""
from .classifiers import CLASSES, FashionClassifier, FashionNet, class_index, pgd_l2, train_classifier
from .score import VPSDE, ScoreModel, sample_prior, train_code_prior, train_score
from .stylegan_latent import from_gaussian, gaussian_fit, geocross

__all__ = ["CLASSES", "class_index", "FashionNet", "FashionClassifier", "pgd_l2", "train_classifier", "VPSDE",
           "ScoreModel", "train_score", "train_code_prior", "sample_prior", "gaussian_fit", "from_gaussian",
           "geocross"]
