"""RNN-T on LibriSpeech dev-clean: the MLPerf Inference speech benchmark on the shared harness."""
