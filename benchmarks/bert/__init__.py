"""BERT-Large on SQuAD v1.1: the MLPerf Inference benchmark folder.

Run it with ``python benchmarks/bert/run.py``; see README.md.
"""
