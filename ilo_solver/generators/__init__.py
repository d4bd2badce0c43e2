"""Generators behind one layered interface (:class:`~ilo_solver.generators.base.LayeredGenerator`)."""
from .base import LayeredGenerator
from .relu import ReLUGenerator
from .relu_batch import ReLUGeneratorBatch

__all__ = ["LayeredGenerator", "ReLUGenerator", "ReLUGeneratorBatch"]
