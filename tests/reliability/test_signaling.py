"""Signaling refuses bad input with a 4xx JSON error and never leaks a peer connection."""

from __future__ import annotations

import asyncio
import itertools
import json

import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack
from litestar.testing import AsyncTestClient

from server.rtc.ice import use_host_addresses
from tests.reliability.conftest import AppFactory, make_offer

JSON = {"content-type": "application/json"}


def offer_body(sdp: str, **extra: object) -> bytes:
    return json.dumps({"sdp": sdp, "type": "offer", **extra}).encode()


async def assert_no_session_left(client: AsyncTestClient) -> None:
    health = (await client.get("/api/health")).json()
    assert health["active_sessions"] == 0
    assert health["open_peer_connections"] == 0


async def closed_by_the_server(client: AsyncTestClient) -> None:
    """Wait until the server has closed every session on its own (the bound only ends a broken
    run), then check nothing is left."""
    async with asyncio.timeout(60):
        for _ in itertools.count():
            health = (await client.get("/api/health")).json()
            if not health["active_sessions"] and not health["open_peer_connections"]:
                break
            await asyncio.sleep(0.2)
    await assert_no_session_left(client)


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]


def replace_lines(sdp: str, prefix: str, new: str | None) -> str:
    lines = [new if line.startswith(prefix) else line for line in sdp.split("\r\n")]
    return "\r\n".join(line for line in lines if line is not None)


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        (b"", JSON, 400, "bad_offer"),
        (b"not json", JSON, 400, "bad_offer"),
        (b"[1, 2]", JSON, 400, "bad_offer"),
        (b'{"sdp": 5, "type": "offer"}', JSON, 400, "bad_offer"),
        (b'{"sdp": "v=0", "type": "answer"}', JSON, 400, "bad_offer"),
        (b'{"sdp": "v=0\\r\\nm=audio", "type": "offer"}', JSON, 400, "bad_offer"),
        (offer_body("v=0", language="../../etc"), JSON, 400, "bad_offer"),
        (offer_body("v=0", profile_id="no spaces allowed"), JSON, 400, "bad_profile"),
        (b"x" * 70_000, JSON, 413, "offer_too_large"),
        (offer_body("v=0"), {"content-type": "text/plain"}, 400, "bad_content_type"),
        (
            offer_body("v=0"),
            {"content-type": "application/x-www-form-urlencoded"},
            400,
            "bad_content_type",
        ),
        (
            offer_body("v=0"),
            {"content-type": "multipart/form-data; boundary=x"},
            400,
            "bad_content_type",
        ),
        (offer_body("v=0"), {}, 400, "bad_content_type"),
        # Nested 1000 deep (about 2 kB): a RecursionError and a 500 before the depth bound.
        pytest.param(
            b'{"sdp": "v=0", "type": "offer", "x": ' + b"[" * 1000 + b"]" * 1000 + b"}",
            JSON,
            400,
            "bad_offer",
            id="nested-1000-deep",
        ),
    ],
)
async def test_bad_bodies_are_4xx_json_errors(
    make_client: AppFactory, body: bytes, headers: dict[str, str], status: int, code: str
) -> None:
    async with make_client() as client:
        response = await client.post("/api/sessions", content=body, headers=headers)
        assert_error(response, status, code)
        await assert_no_session_left(client)


@pytest.mark.parametrize(
    ("offer", "phrase"),
    [
        ({"audio": None}, "no audio"),
        ({"audio": "recvonly"}, "no audio"),
        ({"data_channel": False}, "no data channel"),
    ],
)
async def test_offers_without_audio_or_data_channel_are_refused(
    make_client: AppFactory, offer: dict, phrase: str
) -> None:
    sdp = await make_offer(**offer)
    async with make_client() as client:
        response = await client.post("/api/sessions", content=offer_body(sdp), headers=JSON)
        assert_error(response, 400, "bad_offer")
        assert phrase in response.json()["error"]["message"]
        await assert_no_session_left(client)


@pytest.mark.parametrize(
    ("prefix", "new"),
    [
        ("a=ice-ufrag", None),  # aiortc: ValueError
        ("a=setup", None),  # aiortc: AttributeError
        ("a=candidate", "a=candidate:1 1 udp 1 127.0.0.1 9"),  # aiortc: AssertionError
        ("a=rtpmap", None),  # no codec in common
        ("m=audio", "m=audio 9 UDP/TLS/RTP/SAVPF x"),
    ],
)
async def test_offers_aiortc_cannot_use_close_their_peer_connection(
    make_client: AppFactory, good_offer: str, prefix: str, new: str | None
) -> None:
    """These pass the first look at the SDP, so a peer connection is made: it must be closed."""
    async with make_client() as client:
        body = offer_body(replace_lines(good_offer, prefix, new))
        response = await client.post("/api/sessions", content=body, headers=JSON)
        assert_error(response, 400, "bad_offer")
        await assert_no_session_left(client)


async def test_an_offer_that_never_connects_frees_its_slot(
    make_client: AppFactory, good_offer: str
) -> None:
    """The offer is answered but ICE never completes (its peer is gone): the session must not
    hold a slot until the idle timeout."""
    async with make_client(connect_timeout_s=1.0) as client:
        response = await client.post("/api/sessions", content=offer_body(good_offer), headers=JSON)
        assert response.status_code == 201, response.text
        assert (await client.get("/api/health")).json()["active_sessions"] == 1
        await closed_by_the_server(client)


async def test_a_good_offer_opens_a_session_and_delete_closes_its_peer(
    make_client: AppFactory, good_offer: str
) -> None:
    async with make_client() as client:
        response = await client.post("/api/sessions", content=offer_body(good_offer), headers=JSON)
        assert response.status_code == 201, response.text
        answer = response.json()
        assert answer["type"] == "answer" and answer["sdp"].startswith("v=0")
        health = (await client.get("/api/health")).json()
        assert (health["active_sessions"], health["open_peer_connections"]) == (1, 1)
        assert (await client.delete(f"/api/sessions/{answer['session_id']}")).status_code == 204
        await assert_no_session_left(client)


async def test_past_max_sessions_is_503_with_retry_after(
    make_client: AppFactory, good_offer: str
) -> None:
    async with make_client(max_sessions=1) as client:
        first = await client.post("/api/sessions", content=offer_body(good_offer), headers=JSON)
        assert first.status_code == 201
        second = await client.post("/api/sessions", content=offer_body(good_offer), headers=JSON)
        assert_error(second, 503, "too_many_sessions")
        assert int(second.headers["retry-after"]) >= 1
        health = (await client.get("/api/health")).json()
        assert (health["active_sessions"], health["open_peer_connections"]) == (1, 1)
        await client.delete(f"/api/sessions/{first.json()['session_id']}")
        third = await client.post("/api/sessions", content=offer_body(good_offer), headers=JSON)
        assert third.status_code == 201
        await client.delete(f"/api/sessions/{third.json()['session_id']}")
        await assert_no_session_left(client)


async def test_session_creation_is_rate_limited_per_client(make_client: AppFactory) -> None:
    async with make_client(session_burst=3, session_rate_per_min=6) as client:
        statuses = []
        for _ in range(4):
            response = await client.post("/api/sessions", content=b"{}", headers=JSON)
            statuses.append(response.status_code)
        assert statuses == [400, 400, 400, 429]
        assert_error(response, 429, "rate_limited")
        # One token per 10 s: the client is told how long to wait.
        assert 1 <= int(response.headers["retry-after"]) <= 10
        # A forwarded-for header from the client itself does not buy a fresh bucket.
        spoofed = await client.post(
            "/api/sessions", content=b"{}", headers={**JSON, "x-forwarded-for": "10.0.0.9"}
        )
        assert spoofed.status_code == 429


async def test_the_api_description_is_under_api_and_behind_the_token(
    make_client: AppFactory,
) -> None:
    async with make_client(access_token="schema-test-token") as client:
        assert (await client.get("/schema")).status_code == 404
        refused = await client.get("/api/schema/openapi.json")
        assert_error(refused, 401, "unauthorized")
        allowed = await client.get(
            "/api/schema/openapi.json", headers={"Authorization": "Bearer schema-test-token"}
        )
        assert allowed.status_code == 200
        assert "/api/interviews/{interview_id}" in allowed.json()["paths"]


async def test_a_burst_past_the_session_cap_is_told_to_slow_down(
    make_client: AppFactory, good_offer: str
) -> None:
    """One client's burst: a full server is 503 while its burst lasts, then its own rate limit
    (429) — it once got 503 for ever, as if only the server were to blame."""
    async with make_client(max_sessions=1, session_burst=3, session_rate_per_min=1) as client:
        first = await client.post("/api/sessions", content=offer_body(good_offer), headers=JSON)
        assert first.status_code == 201
        statuses = [
            (
                await client.post("/api/sessions", content=offer_body(good_offer), headers=JSON)
            ).status_code
            for _ in range(4)
        ]
        assert statuses == [503, 503, 429, 429]
        await client.delete(f"/api/sessions/{first.json()['session_id']}")
        await assert_no_session_left(client)


async def test_unknown_api_paths_need_the_token_too(make_client: AppFactory) -> None:
    async with make_client(access_token="paths-test-token") as client:
        assert_error(await client.get("/api/no-such-thing"), 401, "unauthorized")
        assert_error(await client.delete("/api/sessions/x/y"), 401, "unauthorized")
        auth = {"Authorization": "Bearer paths-test-token"}
        assert_error(await client.get("/api/no-such-thing", headers=auth), 404, "not_found")
        assert (await client.get("/no-such-page")).status_code == 404  # the page's side


async def test_closing_an_unknown_session_does_not_echo_its_id(make_client: AppFactory) -> None:
    async with make_client() as client:
        response = await client.delete(f"/api/sessions/{'x' * 5000}")
        assert_error(response, 404, "not_found")
        assert len(response.content) < 200


@pytest.mark.parametrize(
    ("header", "offer_profile"),
    [("", None), (None, ""), ("alice", "bob")],
    ids=["empty-header", "empty-in-offer", "header-and-offer-differ"],
)
async def test_a_profile_given_empty_or_twice_differently_is_refused(
    make_client: AppFactory, good_offer: str, header: str | None, offer_profile: str | None
) -> None:
    headers = dict(JSON) if header is None else {**JSON, "X-Podium-Profile": header}
    extra = {} if offer_profile is None else {"profile_id": offer_profile}
    async with make_client() as client:
        response = await client.post(
            "/api/sessions", content=offer_body(good_offer, **extra), headers=headers
        )
        assert_error(response, 400, "bad_profile")
        await assert_no_session_left(client)


async def test_a_data_channel_not_labelled_events_closes_the_session(
    make_client: AppFactory,
) -> None:
    """Labels travel after the answer (not in the SDP), so the offer cannot be refused: the
    session is closed as soon as the channel says what it is, instead of holding a slot without
    ever sending `session.ready`."""
    use_host_addresses(["127.0.0.1"])
    peer = RTCPeerConnection()
    try:
        peer.addTrack(AudioStreamTrack())
        peer.createDataChannel("chat")
        await peer.setLocalDescription(await peer.createOffer())
        async with make_client() as client:
            response = await client.post(
                "/api/sessions", content=offer_body(peer.localDescription.sdp), headers=JSON
            )
            assert response.status_code == 201, response.text
            answer = response.json()
            await peer.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
            await closed_by_the_server(client)
    finally:
        await peer.close()
