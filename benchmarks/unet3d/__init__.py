"""3D-UNet on KiTS19 (MLPerf Inference): the benchmark folder as a package."""
