"""Speech recognition: the Transcriber interface, its faster-whisper implementation, agreement policy."""
