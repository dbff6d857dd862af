"""Latency and accuracy benchmarks for Podium (`podium bench`)."""
