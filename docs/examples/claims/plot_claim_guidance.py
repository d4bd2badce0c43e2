"""
Claim: classifier guidance needs a robust classifier
====================================================

The ILO paper (§4, Figures 4-5) guides ILO with a classifier instead of a measurement: minimise
-log p_c(G(z)) (+ lambda MSE to a start face) over the extended range, the l1 radius being the knob between "still
a face" (radius 0: CSGM) and "what the classifier calls class c" (radius inf). With the shipped robust Fashion-MNIST
classifier (l2 PGD adversarial training) the probability rises with the radius and the images leave the range,
drawing the garment's silhouette; the standard classifier reaches p >= 0.9 with changes that the robust one does not
see as the class at all -- adversarial perturbations, not images.

Each claim has negative controls that must come out "fails": the CSGM answers for every radius, the probability of
a class other than the guided one, the classifiers swapped, the standard's answers judged by the robust classifier.
This page shows the check **at its default size, judged from the result** ``make figures`` **saved** (no
computation: :func:`verification.plots.judged`); ``demo("guidance")`` recomputes it at the ``--quick`` size instead.
The docs page "Classifier-guided generation" shows the images.
"""
from verification.plots import judged

rows, fig = judged("guidance")
