"""Where kernels run: ``local`` (in-process, day partitions, all cores) and ``spark`` (PySpark)."""
