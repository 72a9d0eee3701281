"""Expert trajectory datasets: recording, schema, validation, quarantine, playback, analytics."""
