"""Play: games, group games, strategies as automata, tournaments and the axelrod bridge.

Everything that turns strategies and a game into interactions (``A[i, j]``, ``C[i, j]``) or a
group game's table. Imports only :mod:`evopolity.kernels` and :mod:`evopolity.validate`.
"""
