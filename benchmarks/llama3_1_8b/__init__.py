"""Llama3.1-8B on CNN-DailyMail (MLPerf Inference, token streaming): see README.md."""
