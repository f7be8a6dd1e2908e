"""numba kernels: small pure functions over arrays (numpy and numba only, no pandas, no I/O).

* ``codes``: every integer code and output column; ``layout``: the packed parameter arrays
  (one builder and one reader each); ``_jit``: the ``jit`` wrapper, its cache decision and
  ``numba_threads``.
* Play: ``match`` (simulated matches), ``markov`` (exact payoffs of two automata), ``gth``
  (stationary distributions), ``linalg`` (LU), ``rng`` (splitmix64 streams).
* Infinite populations: ``velocity`` (the replicator's right-hand side), ``fitness`` (regimes),
  ``group`` (group games), ``replicator`` (the integrators) with ``dopri5``, ``rodas4``,
  ``stepping`` (step-size control) and ``dense_rows`` (output rows).
* Finite populations: ``rules`` (Moran and Fermi), ``finite`` (simulations), ``analytical``
  (fixation, the full chain).
"""
