"""Dynamics: replicator, finite populations (simulated and solved), the trajectory they
return, the regime's fitness terms and the play -> regime -> replicator pipeline.

Imports only the wings beneath it: :mod:`evopolity.institutions`, :mod:`evopolity.play`,
:mod:`evopolity.kernels`, :mod:`evopolity.validate`.
"""
