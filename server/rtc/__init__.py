"""WebRTC: peer connections and the remote audio track."""
