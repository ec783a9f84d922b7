"""Places and geometry: gazetteer, land mask, distance to shore, great-circle distance."""
