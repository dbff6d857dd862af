"""Interview feedback from Gemini (google-genai): streamed prose plus structured rubric scores.

Two calls run concurrently for each answer: a streamed call writes the prose (each text delta
becomes a `FeedbackChunk` at once), and a non-streamed call returns the rubric scores as JSON
constrained by a schema derived from our `Scores` type. The first chunk waits for one call only,
and the result is ready when the prose ends instead of one more round trip later; numbers live
only in the structured scores, so the prose (told not to print scores) cannot contradict them.
Connection, retries, deadline and error mapping come from `GeminiClient` (gemini_client.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import Any, cast

import msgspec
from google.genai import types

from server.config import Settings
from server.errors import FeedbackError
from server.interview.rubric import RUBRIC_VERSION, overall_score
from server.interview.types import FeedbackChunk, FeedbackRequest, FeedbackResult, Scores
from server.llm.client import (
    NO_TOOLS,
    GeminiClient,
    json_config,
    raise_if_blocked,
    text_of,
)
from server.llm.prompts import (
    PROSE_INSTRUCTION,
    SCORES_INSTRUCTION,
    build_answer_prompt,
    scores_json_schema,
)

_FEEDBACK_REFUSAL = "Gemini declined to give feedback on this answer"


class GeminiFeedback:
    """A `FeedbackProvider` backed by the Gemini API. Close it with `aclose()` at shutdown."""

    name = "gemini"

    def __init__(self, settings: Settings, *, retry: types.HttpRetryOptions | None = None) -> None:
        self._gemini = GeminiClient(settings, retry=retry)
        self.model = self._gemini.model
        self._prose_config = types.GenerateContentConfig(
            system_instruction=PROSE_INSTRUCTION, automatic_function_calling=NO_TOOLS
        )
        self._scores_config = json_config(SCORES_INSTRUCTION, scores_json_schema())

    def __repr__(self) -> str:
        return f"GeminiFeedback(model={self.model!r})"

    async def aclose(self) -> None:
        """Close the SDK's connection pools."""
        await self._gemini.aclose()

    async def stream(
        self, request: FeedbackRequest
    ) -> AsyncIterator[FeedbackChunk | FeedbackResult]:
        """Yield prose chunks as Gemini writes them, then one `FeedbackResult`.

        The whole feedback must finish within `gemini_timeout_s`. Raises `FeedbackError`.
        """
        # Deadlines are applied per await, never across a `yield`: a timeout scope spanning a
        # yield would fire inside the consumer's code.
        deadline = self._gemini.deadline()
        prompt = build_answer_prompt(request)
        scores_task = asyncio.create_task(self._scores(prompt, deadline), name="gemini-scores")
        try:
            parts: list[str] = []
            async with aclosing(self._prose(prompt, deadline)) as prose:
                async for text in prose:
                    parts.append(text)
                    yield FeedbackChunk(text=text)
            if not "".join(parts).strip():
                raise FeedbackError(
                    "Gemini returned no feedback text", code="gemini_empty", retryable=True
                )
            scores = await scores_task
        finally:
            await _settle(scores_task)
        yield FeedbackResult(
            text="".join(parts),
            scores=scores,
            overall=overall_score(scores),
            provider=self.name,
            model=self.model,
            rubric_version=RUBRIC_VERSION,
        )

    async def _prose(self, prompt: str, deadline: float) -> AsyncGenerator[str, None]:
        stream: AsyncGenerator[types.GenerateContentResponse, None] | None = None
        try:
            async with asyncio.timeout_at(deadline):
                stream = cast(
                    AsyncGenerator[types.GenerateContentResponse, None],
                    await self._gemini.sdk.aio.models.generate_content_stream(
                        model=self.model, contents=prompt, config=self._prose_config
                    ),
                )
            while True:
                async with asyncio.timeout_at(deadline):
                    try:
                        response = await anext(stream)
                    except StopAsyncIteration:
                        return
                raise_if_blocked(response, _FEEDBACK_REFUSAL)
                text = text_of(response)
                if text:
                    yield text
        except FeedbackError:
            raise
        except Exception as exc:
            raise self._gemini.error(exc, "prose") from exc
        finally:
            if stream is not None:
                await stream.aclose()

    async def _scores(self, prompt: str, deadline: float) -> Scores:
        text = await self._gemini.generate_json(
            prompt,
            self._scores_config,
            deadline=deadline,
            call="scores",
            refusal=_FEEDBACK_REFUSAL,
        )
        return decode_scores(text)


def decode_scores(text: str | None) -> Scores:
    """Decode Gemini's JSON scores, clamping each dimension into 1-5."""
    if not text:
        raise FeedbackError("Gemini returned no scores", code="gemini_bad_scores", retryable=True)
    try:
        raw = msgspec.json.decode(text, type=Scores, strict=False)
    except msgspec.DecodeError:
        raise FeedbackError(
            "Gemini returned scores we could not read", code="gemini_bad_scores", retryable=True
        ) from None
    clamped = {k: min(5, max(1, v)) for k, v in msgspec.structs.asdict(raw).items()}
    return Scores(**clamped)


async def _settle(task: asyncio.Task[Any]) -> None:
    """Cancel `task` if it still runs and wait for it, leaving its outcome retrieved."""
    if not task.done():
        task.cancel()
        await asyncio.wait([task])
    if not task.cancelled():
        task.exception()
