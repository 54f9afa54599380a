"""Readers and writers: vector files by format, OpenStreetMap extracts, rasters, encodings."""
