"""Batched decoding that runs faster-whisper's own decoding logic for every item.

Each decode of a batch runs `WhisperTranscriber.transcribe` in its own thread, unchanged: the
temperature fallback, the segment and word-timing rules and our loop checks stay per item. Only
the CTranslate2 calls meet: an item that reaches `encode`, `generate`, `align` or
`detect_language` waits at the gate until every other item of the batch waits there too (or has
finished); then the waiting calls run as one CTranslate2 call per kind and shape (the same
encoder window, the same decoding options) and each item goes on with its own result. Items whose
paths part (one falls back to a higher temperature, one is redone with the full window) simply
meet in smaller groups.

Encoder outputs of a batch are kept on the host, one array per item, so that any subset of the
batch can form the next call (CTranslate2 copies them back to the GPU with each call).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Executor
from typing import Any, TypeVar

import ctranslate2
import numpy as np
from numpy.typing import NDArray

T = TypeVar("T")


class HostEncoding:
    """One item's encoder output, `[1, frames // 2, d_model]`, on the host."""

    __slots__ = ("array",)

    def __init__(self, array: NDArray[Any]) -> None:
        self.array = array


class _Call:
    __slots__ = ("done", "error", "key", "kind", "payload", "result")

    def __init__(self, kind: str, key: Hashable, payload: dict[str, Any]) -> None:
        self.kind = kind
        self.key = key
        self.payload = payload
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None


class LockstepGate:
    """Where the items of one batch meet to share CTranslate2 calls (see the module docstring)."""

    def __init__(self, model: ctranslate2.models.Whisper, parties: int, *, sot_token: int) -> None:
        self._model = model
        self._sot_token = sot_token
        self._to_cpu = model.device == "cuda"
        self._active = parties
        self._pending: list[_Call] = []
        self._cond = threading.Condition()
        self.calls = 0  # CTranslate2 calls made for the batch

    def encode(self, features: NDArray[np.float32]) -> HostEncoding:
        """`features` `[1, n_mels, frames]`; items with the same frame count encode together."""
        encoding: HostEncoding = self._meet(_Call("encode", features.shape, {"features": features}))
        return encoding

    def generate(self, encoding: HostEncoding, prompt: list[int], **options: Any) -> Any:
        """One item's `Whisper.generate(encoding, [prompt], **options)[0]`."""
        max_length = options.pop("max_length")
        # CTranslate2 wants the start-of-transcript token at the same place in every prompt;
        # `max_length` may differ (the longest runs; see `_generate`).
        sot_at = prompt.index(self._sot_token)
        key = (encoding.array.shape, sot_at, _frozen(options))
        payload = {"encoding": encoding, "prompt": prompt, "max_length": max_length, **options}
        return self._meet(_Call("generate", key, payload))

    def align(
        self,
        encoding: HostEncoding,
        start_sequence: list[int],
        text_tokens: list[int],
        num_frames: int,
        median_filter_width: int,
    ) -> Any:
        """One item's `Whisper.align(encoding, start_sequence, [text_tokens], num_frames)[0]`."""
        key = (encoding.array.shape, tuple(start_sequence), median_filter_width)
        payload = {
            "encoding": encoding,
            "start_sequence": start_sequence,
            "text_tokens": text_tokens,
            "num_frames": num_frames,
            "median_filter_width": median_filter_width,
        }
        return self._meet(_Call("align", key, payload))

    def detect_language(self, encoding: HostEncoding) -> Any:
        """One item's `Whisper.detect_language(encoding)[0]`."""
        return self._meet(_Call("detect_language", encoding.array.shape, {"encoding": encoding}))

    def leave(self) -> None:
        """An item is done: the others no longer wait for it."""
        with self._cond:
            self._active -= 1
            if self._pending and len(self._pending) >= self._active:
                self._flush()

    def _meet(self, call: _Call) -> Any:
        with self._cond:
            self._pending.append(call)
            if len(self._pending) >= self._active:
                # Every item waits here now: this thread runs the calls for all of them (the
                # others wait on the condition, so holding it through the calls costs nothing).
                self._flush()
            while not call.done:
                self._cond.wait()
        if call.error is not None:
            raise call.error
        return call.result

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        groups: dict[tuple[str, Hashable], list[_Call]] = {}
        for call in pending:
            groups.setdefault((call.kind, call.key), []).append(call)
        for (kind, _), group in groups.items():
            try:
                results = _RUNNERS[kind](self, group)
            except Exception as exc:  # noqa: BLE001 - each item raises it as its own decode would
                for call in group:
                    call.error = exc
            else:
                for call, result in zip(group, results, strict=True):
                    call.result = result
            for call in group:
                call.done = True
        self._cond.notify_all()

    def _encode(self, group: list[_Call]) -> list[HostEncoding]:
        features = np.concatenate([c.payload["features"] for c in group])
        self.calls += 1
        encoded = self._model.encode(
            ctranslate2.StorageView.from_array(np.ascontiguousarray(features)),
            to_cpu=self._to_cpu,
        )
        host = np.asarray(encoded)  # a view: numpy keeps `encoded` alive
        return [HostEncoding(host[i : i + 1]) for i in range(len(group))]

    def _generate(self, group: list[_Call]) -> list[Any]:
        options = {
            k: v
            for k, v in group[0].payload.items()
            if k not in ("encoding", "prompt", "max_length")
        }
        max_length = max(c.payload["max_length"] for c in group)
        self.calls += 1
        results = self._model.generate(
            _stack(group),
            [c.payload["prompt"] for c in group],
            max_length=max_length,
            **options,
        )
        for index, call in enumerate(group):
            own_max = call.payload["max_length"]
            # An item allowed fewer tokens than the batch's longest may have run past its own
            # limit (a loop): decode it alone, exactly as it would have been.
            if own_max < max_length and _may_have_hit(results[index], call, own_max):
                self.calls += 1
                results[index] = self._model.generate(
                    _stack([call]), [call.payload["prompt"]], max_length=own_max, **options
                )[0]
        return list(results)

    def _align(self, group: list[_Call]) -> list[Any]:
        first = group[0].payload
        self.calls += 1
        return list(
            self._model.align(
                _stack(group),
                first["start_sequence"],
                [c.payload["text_tokens"] for c in group],
                [c.payload["num_frames"] for c in group],
                median_filter_width=first["median_filter_width"],
            )
        )

    def _detect_language(self, group: list[_Call]) -> list[Any]:
        self.calls += 1
        return list(self._model.detect_language(_stack(group)))


_RUNNERS: dict[str, Callable[[LockstepGate, list[_Call]], list[Any]]] = {
    "encode": LockstepGate._encode,
    "generate": LockstepGate._generate,
    "align": LockstepGate._align,
    "detect_language": LockstepGate._detect_language,
}


def _stack(group: Sequence[_Call]) -> ctranslate2.StorageView:
    arrays = [c.payload["encoding"].array for c in group]
    stacked = arrays[0] if len(arrays) == 1 else np.concatenate(arrays)
    return ctranslate2.StorageView.from_array(np.ascontiguousarray(stacked))


def _may_have_hit(result: Any, call: _Call, own_max: int) -> bool:
    tokens = max((len(ids) for ids in result.sequences_ids), default=0)
    return len(call.payload["prompt"]) + tokens >= own_max


def _frozen(options: dict[str, Any]) -> Hashable:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in options.items()))


def run_in_lockstep(
    jobs: Sequence[Callable[[], T]],
    gate: LockstepGate,
    enter: Callable[[LockstepGate | None], None],
    executor: Executor,
) -> list[T | Exception]:
    """Run every job in its own thread (the first in this one), all meeting at `gate`.

    `enter(gate)` routes the calling thread's model calls through the gate, `enter(None)` stops
    that. A job that raises gives its exception in its place.
    """

    def run(job: Callable[[], T]) -> T | Exception:
        enter(gate)
        try:
            return job()
        except Exception as exc:  # noqa: BLE001 - returned in the item's place
            return exc
        finally:
            enter(None)
            gate.leave()

    others = [executor.submit(run, job) for job in jobs[1:]]
    first = run(jobs[0])
    return [first, *(future.result() for future in others)]


class GatedWhisper:
    """Wraps a `ctranslate2.models.Whisper`: in a thread that `local.gate` is set for, the calls
    faster-whisper makes with an encoder output go through that gate; otherwise, straight on."""

    def __init__(self, model: ctranslate2.models.Whisper, local: threading.local) -> None:
        self.raw = model
        self._local = local

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)

    def _gate(self, features: object) -> LockstepGate | None:
        gate: LockstepGate | None = getattr(self._local, "gate", None)
        return gate if isinstance(features, HostEncoding) else None

    def generate(self, features: Any, prompts: list[list[int]], **options: Any) -> list[Any]:
        gate = self._gate(features)
        if gate is not None and len(prompts) == 1:
            return [gate.generate(features, prompts[0], **options)]
        return list(self.raw.generate(_storage(features), prompts, **options))

    def align(
        self,
        features: Any,
        start_sequence: list[int],
        text_tokens: list[list[int]],
        num_frames: int,
        median_filter_width: int = 7,
    ) -> list[Any]:
        gate = self._gate(features)
        if gate is not None and len(text_tokens) == 1 and text_tokens[0]:
            return [
                gate.align(
                    features, start_sequence, text_tokens[0], num_frames, median_filter_width
                )
            ]
        return list(
            self.raw.align(
                _storage(features),
                start_sequence,
                text_tokens,
                num_frames,
                median_filter_width=median_filter_width,
            )
        )

    def detect_language(self, features: Any) -> list[Any]:
        gate = self._gate(features)
        if gate is not None:
            return [gate.detect_language(features)]
        return list(self.raw.detect_language(_storage(features)))


def _storage(features: Any) -> Any:
    if isinstance(features, HostEncoding):
        return ctranslate2.StorageView.from_array(np.ascontiguousarray(features.array))
    return features
