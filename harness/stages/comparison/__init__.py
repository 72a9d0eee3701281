"""The comparison: every arm against PPO from scratch on matched seeds (SC-003)."""
