"""
Claim: S-REC on the extended range, as K and p vary
===================================================

ILO's eq. (5) says the measurements needed for S-REC on the extended range G1(B(r1)) + B1(r2) grow like
K^2 log p -- logarithmically in the intermediate dimension p, unlike CSGM run directly on the p-dimensional layer.
We estimate the S-REC constant by an adversarial search for each (K, p) and m, and read off the m where it
reaches 1 - alpha.

The verdict column reads: **holds** (the measurement agrees with the prediction within the stated interval),
**fails** (it does not: the numbers say by how much), **inconclusive** (the data cannot decide at this size).
This page runs the check at its ``--quick`` size; ``make figures`` runs the default size.
"""
from verification.plots import demo

rows, fig = demo("extended_srec")
