"""Matching SAR detections to AIS at the acquisition time, and dark-vessel candidates.

Kernels: :func:`~darkfleet.imagery.match.ais_at.positions_at` (AIS carried to an instant),
:func:`~darkfleet.imagery.match.assign.match` (assignment with explained costs),
:func:`~darkfleet.imagery.match.dark.dark_candidates` (who could an unmatched detection be).
"""
