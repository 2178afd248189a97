"""SSD-MobileNet-v1 (COCO 300x300) on the shared harness; see README.md."""
