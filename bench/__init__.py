"""Benchmarks of txpostgres_proto against its peers (run on demand, not in CI).

``python -m bench`` lists them and runs them; each also runs on its own as
``python -m bench.<name>``.  See ``bench/common.py`` for how they measure.
"""
