"""The speech-recognition pool on Ray Serve (`pip install '.[cluster]'`): its replica and the
`podium asr deploy` / `podium asr shutdown` commands. Nothing else in Podium imports Ray."""
