"""GNMT (WMT16 English->German) on the shared harness: run.py is the entry point."""
