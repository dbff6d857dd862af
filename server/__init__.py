"""Podium: live voice practice over WebRTC with streaming Whisper captions."""

__version__ = "0.1.0"
