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
This page runs the check at its ``--quick`` size (2 classes x 3 start faces, a quarter of the preset's steps);
``make figures`` runs the default size (docs page "Classifier-guided generation").
"""
from verification.plots import demo

rows, fig = demo("guidance")
