"""The expert stage: PPO runs per seed, the promotion gate and its diagnostics."""
