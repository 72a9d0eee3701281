"""The expert trajectory datasets: recording, schema, validation, quarantine, playback,
analytics and inspection."""
