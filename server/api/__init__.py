"""HTTP API: signaling, health, questions, answers and progress."""
