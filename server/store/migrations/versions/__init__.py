"""Migration scripts, one revision per file, oldest first by revision chain."""
