"""Analysis: metrics of trajectories (cooperation, diversity, resilience) and regime
comparison. Imports only :mod:`evopolity.dynamics` and the wings beneath it.
"""
