"""The distribution-shift experiment (SHIFT)."""
