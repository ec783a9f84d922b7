"""Satellite imagery: SAR vessel detection (``darkfleet.imagery.sar``) and its CLI."""
