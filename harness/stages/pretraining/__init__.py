"""The pre-training stage: one run per (arm, seed), BC, critic pre-training and fine-tuning."""
