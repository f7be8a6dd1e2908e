"""Institutions: the ``Regime`` (mechanism strengths), its named presets and scheduled shocks.

Imports only :mod:`evopolity.play`, :mod:`evopolity.kernels` and :mod:`evopolity.validate`.
"""
