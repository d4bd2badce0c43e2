"""Solvers for inverse problems with pretrained generators: ILO (Algorithm 1), CSGM, operators, losses."""
