"""The measurement side, y = N(A(x)): forward operators with their adjoints and dense oracles (:mod:`.operators`,
one registry ``OPERATORS`` the generic tests loop over), the tasks that pair an operator with its noise and
its data fit (:mod:`.tasks`), and real degraded photos read as observations (:mod:`.observations`).

Import rule: ``physics`` may import :mod:`ilo_solver.fit` (a task's data fit) and :mod:`ilo_solver.io`; it never
imports generators, priors or solvers.
"""
from .observations import OBSERVABLE_TASKS, estimate_noise_sigma, real_observation
from .operators import (
                        OPERATORS,
                        Classifier,
                        Composition,
                        Denoising,
                        GaussianCS,
                        Identity,
                        Inpainting,
                        LinearOperator,
                        Operator,
                        PartialCirculant,
                        SuperResolution,
                        box_mask,
                        random_mask,
)
from .tasks import TASKS, Task, make_task

__all__ = ["Operator", "LinearOperator", "Identity", "Denoising", "Inpainting", "SuperResolution", "GaussianCS",
           "PartialCirculant", "Classifier", "Composition", "OPERATORS", "box_mask", "random_mask", "TASKS", "Task",
           "make_task", "OBSERVABLE_TASKS", "real_observation", "estimate_noise_sigma"]
