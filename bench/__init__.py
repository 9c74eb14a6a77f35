"""Benchmarks of the SPARQL service against `oxigraph serve`, the synthetic data generator and the build benchmark.

Run ``python -m bench.run --help``; bench/README.md explains the output.
"""
