"""Vessel detection in Sentinel-1 SAR imagery: readers, CFAR detector, attributes.

Main entry points: :func:`darkfleet.imagery.sar.detect.detect` on a
:class:`darkfleet.imagery.sar.image.SarImage` from :mod:`~darkfleet.imagery.sar.readers` or
:mod:`~darkfleet.imagery.sar.opensarship`.
"""
