"""Property tests: no input makes the message decoder or the signaling handler misbehave."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import msgspec
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from litestar.testing import AsyncTestClient

from server import protocol
from tests.reliability.conftest import AppFactory, make_offer

# Small counts: the suite runs on 2 shared cores. `database=None`: no .hypothesis folder.
FUZZ = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
CLIENT_TYPES = ["ping", "question.set", "answer.start", "answer.end", "pong", "error", "", "PING"]
FIELDS = ["t", "question_id", "text", "role", "extra"]
client_objects = st.fixed_dictionaries(
    {"type": st.sampled_from(CLIENT_TYPES) | st.text(max_size=12)},
    optional={name: json_values for name in FIELDS},
)
client_messages = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200),
    json_values.map(json.dumps),
    client_objects.map(json.dumps),
    client_objects.map(lambda o: json.dumps(o).encode()),
)


@FUZZ
@given(client_messages)
def test_client_message_decoder_accepts_or_raises_a_decode_error(data: str | bytes) -> None:
    try:
        message = protocol.decode_client_message(data)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return
    assert isinstance(
        message, protocol.Ping | protocol.QuestionSet | protocol.AnswerStart | protocol.AnswerEnd
    )
    # What was accepted means the same after a round trip.
    assert protocol.decode_client_message(msgspec.json.encode(message)) == message


@st.composite
def mangled_sdp(draw: st.DrawFn, sdp: str) -> str:
    """A real offer with lines dropped, duplicated, cut or replaced by junk."""
    lines = sdp.split("\r\n")
    out: list[str] = []
    for line in lines:
        action = draw(st.sampled_from(["keep"] * 6 + ["drop", "dup", "cut", "junk"]))
        if action == "keep":
            out.append(line)
        elif action == "dup":
            out += [line, line]
        elif action == "cut":
            out.append(line[: draw(st.integers(0, max(0, len(line) - 1)))])
        elif action == "junk":
            out.append(line[:2] + draw(st.text(max_size=30)))
    return "\r\n".join(out)


@pytest.fixture
async def client(make_client: AppFactory) -> AsyncIterator[AsyncTestClient]:
    async with make_client(session_burst=1000, max_sessions=4) as opened:
        yield opened


@pytest.fixture
async def real_offer() -> str:
    return await make_offer()


async def post_and_check(client: AsyncTestClient, body: bytes, content_type: str) -> None:
    response = await client.post(
        "/api/sessions", content=body, headers={"content-type": content_type}
    )
    event(f"{response.status_code} {response.json().get('error', {}).get('code', '')}")
    if response.status_code == 201:
        session_id = response.json()["session_id"]
        assert (await client.delete(f"/api/sessions/{session_id}")).status_code == 204
    else:
        assert 400 <= response.status_code < 500, response.text
        error = response.json()["error"]
        assert error["code"] and error["message"]
    health = (await client.get("/api/health")).json()
    assert (health["active_sessions"], health["open_peer_connections"]) == (0, 0)


@FUZZ
@given(
    body=st.binary(max_size=300) | client_objects.map(lambda o: json.dumps(o).encode()),
    content_type=st.sampled_from(["application/json", "text/plain", "application/sdp+json", ""]),
)
async def test_signaling_answers_junk_with_4xx_and_no_peer(
    client: AsyncTestClient, body: bytes, content_type: str
) -> None:
    await post_and_check(client, body, content_type)


@settings(FUZZ, max_examples=30)
@given(data=st.data())
async def test_signaling_survives_mangled_real_offers(
    client: AsyncTestClient, real_offer: str, data: st.DataObject
) -> None:
    sdp = data.draw(mangled_sdp(real_offer))
    language = data.draw(st.sampled_from(["en", "auto", "xx-YY", ""]))
    body = json.dumps({"sdp": sdp, "type": "offer", "language": language}).encode()
    await post_and_check(client, body, "application/json")
