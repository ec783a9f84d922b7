"""darkfleet: find and document sanctions-evading shipments."""

import os as _os

# Polars' allocator (jemalloc) hands freed memory back to the system after 0.5 s (polars sets
# dirty_decay_ms:500 on import and appends this variable to it). Batch work that frees and
# re-allocates frames of the same size every second or so (the local engine's day partitions)
# then spends a quarter of its CPU faulting fresh zeroed pages back in; keeping freed pages for
# 10 s measured 9.7 → 7.2 s CPU on 20M positions. Effective only when darkfleet is imported
# before polars (the CLI, the benchmarks); DARKFLEET_MALLOC_TUNING=0 or a user's own
# _RJEM_MALLOC_CONF leaves it alone.
if _os.environ.get("DARKFLEET_MALLOC_TUNING") != "0":
    _os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:10000,muzzy_decay_ms:10000")

__version__ = "0.1.0"
