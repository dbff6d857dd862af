"""Speech recognition: the Transcriber interface, faster-whisper, the agreement policy."""
