"""ResNet50-v1.5 on ImageNet 2012 validation: the MLPerf Inference benchmark folder.

Run it with ``python benchmarks/resnet50/run.py``; see README.md.
"""
