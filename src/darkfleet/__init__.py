"""darkfleet: find and document sanctions-evading shipments."""

__version__ = "0.1.0"
