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

# %%
# **Reading the figure.** Left block (robust classifier) and middle block (standard classifier): each row a start
# face guided towards a Fashion-MNIST class, each column a larger ℓ1 radius (CSGM: radius 0). With the robust
# classifier the faces take on the garment's silhouette as the radius grows; with the standard one the images
# barely change although its probability reaches 0.97 -- adversarial perturbations. Right, top: the guided class's
# probability against the radius (bands: CIs over start faces); bottom: the distance of the result from the
# generator's range (solid) and its change from the start (grey) -- the robust guidance leaves the range, the
# standard one hardly moves.
