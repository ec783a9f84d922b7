"""Track cleaning, segmentation and vessel identity history."""
