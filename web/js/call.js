// The WebRTC call with the server: one peer connection carrying the microphone's track and the
// `events` data channel, offered once ICE gathering is done (aiortc does not trickle ICE), and
// the session it opens on the server (POST /api/sessions; DELETE to close it early).

import { api, profileId } from "./api.js";

// The offer goes out once gathering is complete, or after this long.
const ICE_GATHERING_CAP_MS = 3000;

function gatheringComplete(peer, capMs) {
  if (peer.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      peer.removeEventListener("icegatheringstatechange", check);
      resolve();
    };
    const check = () => peer.iceGatheringState === "complete" && done();
    const timer = setTimeout(done, capMs);
    peer.addEventListener("icegatheringstatechange", check);
  });
}

/** A peer connection with `stream`'s audio and the `events` channel (made before the offer, so
 * that the offer carries it); nothing is sent yet. */
export function createCall(stream) {
  const peer = new RTCPeerConnection();
  const channel = peer.createDataChannel("events");
  for (const track of stream.getAudioTracks()) peer.addTrack(track, stream);
  return { peer, channel };
}

/** Offer the call to the server; resolves to its answer {session_id, sdp} (ApiError if not). */
export async function offerCall(peer, language) {
  await peer.setLocalDescription(await peer.createOffer());
  await gatheringComplete(peer, ICE_GATHERING_CAP_MS);
  const offer = { sdp: peer.localDescription.sdp, type: "offer", language, profile_id: profileId() };
  return api("/api/sessions", { method: "POST", body: offer });
}

/** Tell the server a session is over (it would notice the closed call anyway; gone is fine). */
export function closeSession(sessionId, { keepalive = false } = {}) {
  api(`/api/sessions/${encodeURIComponent(sessionId)}`, { method: "DELETE", keepalive })
    .catch(() => {});
}
