"""Navigation pre-training study harness: simulator, training, datasets, comparison, reports."""

__version__ = "0.1.0"
