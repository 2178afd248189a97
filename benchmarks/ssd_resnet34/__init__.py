"""SSD-ResNet34 (COCO 1200x1200) on the shared harness; see README.md."""
