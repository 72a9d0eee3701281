"""A toy stage, added to the pipeline by its declaration alone (tests/test_toy_stage.py)."""
