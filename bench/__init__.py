"""Benchmarks: speed of the pipeline against a decode floor and a naive OCR script."""
