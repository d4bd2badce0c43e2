"""The optimiser: the one projected-Adam loop every solver and estimator runs on (:mod:`.loop`: :func:`minimize`,
the schedule row :class:`Round`, the unadjusted-Langevin step), the projections onto ℓ1 / ℓ2 balls with their
reference implementations (:mod:`.projection`, numba kernels in ``_l1_kernels``), and the one place the loops read
values back from the device (``_host``).

Import rule: ``optim`` imports nothing from ``ilo_solver`` outside itself. It knows tensors, not generators, operators
or data fits: a solver hands it the objective and the post-step map.
"""
from .loop import (
                   MAX_STEPS,
                   LoopResult,
                   Round,
                   SolveResult,
                   check_schedule,
                   cosine_ramp,
                   minimize,
                   scale_steps,
                   select_better,
                   ula_step,
)
from .projection import (
                   METHODS,
                   SegmentedL1Projector,
                   project_l1_ball,
                   project_l1_ball_around,
                   project_l2_ball,
                   renormalise,
                   renormalise_tensors_,
)

__all__ = ["Round", "check_schedule", "scale_steps", "SolveResult", "LoopResult", "select_better", "minimize",
           "cosine_ramp", "ula_step", "MAX_STEPS", "project_l1_ball", "project_l1_ball_around",
           "SegmentedL1Projector", "project_l2_ball", "renormalise", "renormalise_tensors_", "METHODS",
           "l1_balls_projector"]
