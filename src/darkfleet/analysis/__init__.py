"""Fusion of every observation into voyages, trips, cargo flow and findings with provenance.

Kernels (:mod:`~darkfleet.analysis.voyages`, :mod:`~darkfleet.analysis.flow`,
:mod:`~darkfleet.analysis.findings`) are pure; :mod:`~darkfleet.analysis.gather` reads the lake
and the case store and :mod:`~darkfleet.analysis.reconstruct` puts them together.
"""
