"""LocalAgreement-2 (ufal/whisper_streaming): commit what two hypotheses in a row agree on.

Pure: no I/O, no clock. Each partial hypothesis of the growing utterance goes to `update`; the
words that the last two hypotheses share as a prefix (compared without case or punctuation)
become `stable`, and stable text only ever grows until `reset` starts a new utterance.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher

import msgspec

from server.asr.words import join_words, split_words

_NOT_WORD = re.compile(r"[^\w]+")


class Caption(msgspec.Struct, frozen=True):
    """What to show: `stable` (never retracted) is an exact prefix of `text`."""

    text: str
    stable: str


class LocalAgreement:
    """Commits the longest common word prefix of the last two hypotheses (words as
    `split_words` cuts them: characters in Chinese and Japanese)."""

    def __init__(self) -> None:
        self._committed: list[str] = []
        self._previous_tail: list[str] | None = None

    @property
    def stable(self) -> str:
        """The committed words, as first shown."""
        return join_words(self._committed)

    def update(self, hypothesis: str) -> Caption:
        """Take the newest hypothesis of the whole utterance; return the caption to show."""
        tail = self._tail(split_words(hypothesis))
        if self._previous_tail is not None:
            agreed = _common_prefix_len(self._previous_tail, tail)
            self._committed.extend(tail[:agreed])
            tail = tail[agreed:]
        self._previous_tail = tail
        return Caption(text=join_words([*self._committed, *tail]), stable=self.stable)

    def reset(self) -> None:
        """Forget everything: the next hypothesis belongs to a new utterance."""
        self._committed = []
        self._previous_tail = None

    def _tail(self, words: list[str]) -> list[str]:
        """The hypothesis' words after those matching the committed ones."""
        committed = [_key(w) for w in self._committed]
        keys = [_key(w) for w in words]
        if keys[: len(committed)] == committed:
            return words[len(committed) :]
        # The hypothesis rewrote committed words: align it to them and keep what follows.
        matcher = SequenceMatcher(None, committed, keys, autojunk=False)
        blocks = [block for block in matcher.get_matching_blocks() if block.size]
        if not blocks:
            return words[len(committed) :]
        last = blocks[-1]
        unmatched_after = len(committed) - (last.a + last.size)
        return words[last.b + last.size + unmatched_after :]


def _key(word: str) -> str:
    return _NOT_WORD.sub("", word.lower())


def _common_prefix_len(first: list[str], second: list[str]) -> int:
    count = 0
    for a, b in zip(first, second, strict=False):
        if _key(a) != _key(b):
            break
        count += 1
    return count


def overlap_length(carried: Sequence[str], words: Sequence[str]) -> int:
    """How many leading `words` repeat the words `carried` ends with.

    When a long utterance is cut at the length limit, the first part's stable words may already
    reach past the cut (partials decoded audio beyond it, and stable words are never taken back);
    the next part's hypotheses start with those same words, which must not be shown twice.
    """
    carried_keys = [_key(w) for w in carried]
    keys = [_key(w) for w in words]
    for count in range(min(len(carried_keys), len(keys)), 0, -1):
        if keys[:count] == carried_keys[-count:]:
            return count
    return 0
