"""Event detectors over tracks, one module each; every detector is a pure columnar kernel."""
