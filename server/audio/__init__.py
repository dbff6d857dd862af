"""Audio processing: resampling to 16 kHz mono and utterance segmentation (VAD)."""
