"""Offer checks: a first look at the SDP before any peer connection, and what was negotiated."""

from __future__ import annotations

from dataclasses import dataclass

from aiortc import RTCPeerConnection

from server.errors import SignalingError

_DIRECTIONS = {"sendrecv", "sendonly", "recvonly", "inactive"}
_RECEIVING = ("recvonly", "sendrecv")


@dataclass(slots=True)
class MediaSection:
    """One `m=` line and the attributes under it."""

    kind: str
    port: str
    proto: str
    direction: str = "sendrecv"

    @property
    def sends_audio(self) -> bool:
        sending = self.direction in ("sendrecv", "sendonly")
        return self.kind == "audio" and self.port != "0" and sending

    @property
    def is_data_channel(self) -> bool:
        return self.kind == "application" and self.port != "0" and "SCTP" in self.proto.upper()


def media_sections(sdp: str) -> list[MediaSection]:
    """The media sections of a session description (lenient: unknown lines are skipped)."""
    sections: list[MediaSection] = []
    session_direction = "sendrecv"
    for line in sdp.splitlines():
        if line.startswith("m="):
            parts = line[2:].split()
            if len(parts) < 3:
                raise SignalingError(f"malformed media line in the offer: {line[:80]!r}")
            sections.append(MediaSection(parts[0], parts[1], parts[2], session_direction))
        elif line.startswith("a="):
            attribute = line[2:].strip()
            if attribute not in _DIRECTIONS:
                continue
            if sections:
                sections[-1].direction = attribute
            else:
                session_direction = attribute
    return sections


def check_offer_sdp(sdp: str) -> None:
    """Raise `SignalingError` (400) unless the offer sends audio and opens a data channel."""
    if not sdp.startswith("v=0"):
        raise SignalingError("sdp is not a session description (it must start with 'v=0')")
    sections = media_sections(sdp)
    if not any(s.sends_audio for s in sections):
        raise SignalingError("the offer sends no audio: add the microphone before the offer")
    if not any(s.is_data_channel for s in sections):
        raise SignalingError(
            "the offer has no data channel: open a data channel labelled 'events' before the offer"
        )


def check_negotiated(peer: RTCPeerConnection) -> None:
    """After the answer: we receive audio in a codec we share, and the data channel transport."""
    if not any(
        t.kind == "audio" and t.currentDirection in _RECEIVING for t in peer.getTransceivers()
    ):
        raise SignalingError("no audio could be negotiated: offer Opus audio that we can receive")
    if peer.sctp is None:
        raise SignalingError("no data channel could be negotiated")
