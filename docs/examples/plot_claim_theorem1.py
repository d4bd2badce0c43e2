"""
Claim: ILO Theorem 1 -- error against K and m
=============================================

ILO optimises the intermediate code inside G1(B(r1)) + B1(r2). On targets with a sparse intermediate
deviation, ILO beats CSGM (which cannot represent it) and the unconstrained search needs more measurements.
We also print the measured additive term beside the reconstructed Phi = 1.

The verdict column reads: **holds** (the measurement agrees with the prediction within the stated interval),
**fails** (it does not: the numbers say by how much), **inconclusive** (the data cannot decide at this size).
This page runs the check at its ``--quick`` size; ``make figures`` runs the default size.
"""
from verification.plots import demo

rows, fig = demo("theorem1")
