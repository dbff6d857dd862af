"""Delivery metrics of one spoken answer: pure and deterministic, from timed words.

Choices, so numbers stay comparable:
- Leading and trailing silence is not part of the answer: the spoken span runs from the first
  word's start to the last word's end.
- `speaking_s` is that span minus the long pauses in it (gaps over `long_pause_s`); short gaps
  between words are part of normal speech, so they count as speaking time.
- `words_per_minute` is `word_count / speaking_s`: a long pause to think does not make a
  speaker "slow", and summing word durations alone would overstate the rate.
- Pace is judged only with at least `min_pace_sample_s` of speech, length on the spoken span.
- Pace is judged against a band of words per minute: the `targets` given, else the language's
  own band (`Lexicon.pace_wpm`; English 120-160), else, for a language without one, the
  speaker's usual rate in that language (`baseline_wpm`, see `usual_pace`) +-20%: "fast" then
  means faster than you usually speak. With neither, pace is "unknown". `pace_basis` ("norm",
  "personal" or "none") and `pace_min_wpm` / `pace_max_wpm` say which band was used.
- Fillers and hedges come from the language's `Lexicon`, with context rules (see
  `PhraseRule`): "I like Python" has no filler, "it was, like, 20 minutes" has one.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Literal, NamedTuple

import msgspec

from server.interview.lexicon import Lexicon, PhraseRule, lexicon_for
from server.interview.types import AnswerWord

Pace = Literal["slow", "ok", "fast", "unknown"]
Length = Literal["short", "ok", "long", "unknown"]
PaceBasis = Literal["norm", "personal", "none"]

_SENTENCE_END = frozenset(".?!\u2026")
_CLAUSE_END = frozenset(",;:\u2013\u2014")
_EDGES = re.compile(r"^\W+|\W+$")
_CLOSERS = "\"')]}\u00bb\u201d"
_MAX_STUMBLE_WORDS = 4
# Long enough for a stock phrase such as "at the end of the day".
_MAX_PHRASE_WORDS = 6
_FREQUENT_MIN = 3
_MAX_REPEATED_PHRASES = 5
# A personal band: within 20% of the speaker's usual rate, from at least 3 earlier answers.
_PERSONAL_BAND = (0.8, 1.2)
_MIN_BASELINE_ANSWERS = 3


class Token(NamedTuple):
    """One word: normalised lowercase `text`, the word as `said`, the punctuation after it."""

    text: str
    said: str
    boundary: Literal["", ",", "."]
    start_s: float = 0.0
    end_s: float = 0.0


class DeliveryTargets(msgspec.Struct, frozen=True):
    """What a good behavioural answer sounds like: 1-2 minutes at 120-160 words per minute."""

    min_answer_s: float = 60.0
    max_answer_s: float = 120.0
    min_wpm: float = 120.0
    max_wpm: float = 160.0
    min_pace_sample_s: float = 10.0


DEFAULT_TARGETS = DeliveryTargets()


class RepeatedPhrase(msgspec.Struct, frozen=True):
    """A stumble ("we we": `back_to_back`, count = extra repeats) or a phrase said 3+ times."""

    phrase: str
    count: int
    back_to_back: bool


class DeliveryMetrics(msgspec.Struct, frozen=True, kw_only=True):
    """How an answer was said. Times in seconds; `language` is the word lists used."""

    language: str
    duration_s: float
    spoken_span_s: float
    speaking_s: float
    word_count: int
    words_per_minute: float
    pace: Pace
    length: Length
    filler_count: int
    fillers_per_minute: float
    fillers_per_100_words: float
    fillers: dict[str, int]
    hedge_count: int
    hedges_per_100_words: float
    hedges: dict[str, int]
    long_pause_s: float
    long_pause_count: int
    long_pause_total_s: float
    longest_pause_s: float
    repetition_count: int
    repeated_phrases: list[RepeatedPhrase]
    # Added with languages; the defaults are what older metrics were judged by.
    pace_basis: PaceBasis = "norm"
    pace_min_wpm: float = DEFAULT_TARGETS.min_wpm
    pace_max_wpm: float = DEFAULT_TARGETS.max_wpm
    baseline_wpm: float | None = None


def tokenize(text: str) -> list[Token]:
    """Split text into normalised tokens, keeping sentence and clause punctuation."""
    tokens: list[Token] = []
    for piece in text.split():
        _append_token(tokens, piece, 0.0, 0.0)
    return tokens


def tokenize_words(words: Sequence[AnswerWord]) -> list[Token]:
    """Tokens of timed words, in time order; a word's pieces share its times."""
    tokens: list[Token] = []
    for word in sorted(words, key=lambda w: (w.start_s, w.end_s)):
        for piece in word.word.split():
            _append_token(tokens, piece, word.start_s, word.end_s)
    return tokens


def words_from_text(text: str, *, words_per_minute: float | None = None) -> list[AnswerWord]:
    """Answer words for a text without timings: evenly spaced, or all at 0 s when no rate."""
    step_s = 60.0 / words_per_minute if words_per_minute else 0.0
    return [
        AnswerWord(word=piece, start_s=i * step_s, end_s=i * step_s + step_s * 0.8)
        for i, piece in enumerate(text.split())
    ]


def is_number(token: Token, lexicon: Lexicon) -> bool:
    return any(ch.isdigit() for ch in token.text) or token.text in lexicon.number_words


def compute_metrics(
    words: Sequence[AnswerWord],
    *,
    duration_s: float,
    language: str = "en",
    long_pause_s: float = 2.5,
    targets: DeliveryTargets | None = None,
    baseline_wpm: float | None = None,
) -> DeliveryMetrics:
    """Measure pace, fillers, hedges, pauses, repetitions and length of one answer.

    `targets` default to `DEFAULT_TARGETS` with the language's pace band; `baseline_wpm` is
    the speaker's usual rate in this language (`usual_pace`), used only where the language has
    no band of its own.
    """
    lexicon = lexicon_for(language)
    targets, basis = _targets(targets, lexicon, baseline_wpm)
    tokens = tokenize_words(words)
    word_count = len(tokens)
    span_s = tokens[-1].end_s - tokens[0].start_s if tokens else 0.0
    gaps = [max(0.0, b.start_s - a.end_s) for a, b in zip(tokens, tokens[1:], strict=False)]
    long_gaps = [gap for gap in gaps if gap > long_pause_s]
    speaking_s = max(0.0, span_s - sum(long_gaps))
    minutes = speaking_s / 60.0

    fillers, filler_at = _count_phrases(tokens, lexicon.fillers, lexicon, with_sounds=True)
    hedges, hedge_at = _count_phrases(tokens, lexicon.hedges, lexicon, with_sounds=False)
    filler_count = sum(fillers.values())
    hedge_count = sum(hedges.values())
    repeated, repetition_count = _find_repetitions(tokens, lexicon, filler_at | hedge_at)
    wpm = word_count / minutes if minutes > 0 else 0.0

    return DeliveryMetrics(
        language=lexicon.language,
        duration_s=_round(max(duration_s, 0.0)),
        spoken_span_s=_round(span_s),
        speaking_s=_round(speaking_s),
        word_count=word_count,
        words_per_minute=_round(wpm),
        pace=_pace(wpm, speaking_s, targets) if basis != "none" else "unknown",
        length=_length(span_s, word_count, targets),
        filler_count=filler_count,
        fillers_per_minute=_round(filler_count / minutes if minutes > 0 else 0.0),
        fillers_per_100_words=_round(_per_100(filler_count, word_count)),
        fillers=dict(sorted(fillers.items())),
        hedge_count=hedge_count,
        hedges_per_100_words=_round(_per_100(hedge_count, word_count)),
        hedges=dict(sorted(hedges.items())),
        long_pause_s=long_pause_s,
        long_pause_count=len(long_gaps),
        long_pause_total_s=_round(sum(long_gaps)),
        longest_pause_s=_round(max(gaps, default=0.0)),
        repetition_count=repetition_count,
        repeated_phrases=repeated,
        pace_basis=basis,
        pace_min_wpm=_round(targets.min_wpm) if basis != "none" else 0.0,
        pace_max_wpm=_round(targets.max_wpm) if basis != "none" else 0.0,
        baseline_wpm=_round(baseline_wpm) if basis == "personal" and baseline_wpm else None,
    )


def usual_pace(earlier: Iterable[DeliveryMetrics]) -> float | None:
    """A speaker's usual words per minute: the median over earlier answers whose pace could be
    judged (long enough), or None with fewer than 3 of them. Pass answers in one language."""
    # Long enough to judge a pace; not `pace != "unknown"`, which is also what every answer in a
    # language with no norm gets until the baseline exists.
    rates = [
        m.words_per_minute
        for m in earlier
        if m.words_per_minute > 0 and m.speaking_s >= DEFAULT_TARGETS.min_pace_sample_s
    ]
    return statistics.median(rates) if len(rates) >= _MIN_BASELINE_ANSWERS else None


def _targets(
    targets: DeliveryTargets | None, lexicon: Lexicon, baseline_wpm: float | None
) -> tuple[DeliveryTargets, PaceBasis]:
    if targets is not None:
        return targets, "norm"
    if lexicon.pace_wpm is not None:
        low, high = lexicon.pace_wpm
        return msgspec.structs.replace(DEFAULT_TARGETS, min_wpm=low, max_wpm=high), "norm"
    if baseline_wpm is not None and baseline_wpm > 0:
        low, high = (baseline_wpm * share for share in _PERSONAL_BAND)
        return msgspec.structs.replace(DEFAULT_TARGETS, min_wpm=low, max_wpm=high), "personal"
    return DEFAULT_TARGETS, "none"


def _count_phrases(
    tokens: Sequence[Token], rules: dict[str, PhraseRule], lexicon: Lexicon, *, with_sounds: bool
) -> tuple[Counter[str], set[int]]:
    """Count rule-matching phrases (longest first, no overlaps) and the token indices they cover."""
    texts = [token.text for token in tokens]
    phrases = sorted(((p.split(), p, r) for p, r in rules.items()), key=lambda x: -len(x[0]))
    sounds = [(re.compile(pattern), name) for pattern, name in lexicon.filler_sounds.items()]
    counts: Counter[str] = Counter()
    covered: set[int] = set()
    i = 0
    while i < len(tokens):
        sound = next((n for p, n in sounds if p.fullmatch(texts[i])), None) if with_sounds else None
        if sound is not None:
            counts[sound] += 1
            covered.add(i)
            i += 1
            continue
        for parts, phrase, rule in phrases:
            n = len(parts)
            if texts[i : i + n] == parts and _rule_applies(tokens, i, n, rule, lexicon, covered):
                counts[phrase] += 1
                covered.update(range(i, i + n))
                i += n
                break
        else:
            i += 1
    return counts, covered


def _find_repetitions(
    tokens: Sequence[Token], lexicon: Lexicon, skip: set[int]
) -> tuple[list[RepeatedPhrase], int]:
    """Back-to-back repeats ("I I", "we went we went") and phrases of 2-6 words said 3+ times.

    Returns the phrases (stumbles first) and the number of back-to-back repeats. Tokens in
    `skip` (fillers, hedges) are left out: "um um" is already counted as two fillers.
    """
    texts = [token.text for token in tokens]
    stumbles: Counter[str] = Counter()
    i = 0
    while i < len(texts):
        for n in range(_MAX_STUMBLE_WORDS, 0, -1):
            unit = texts[i : i + n]
            if len(unit) < n or texts[i + n : i + 2 * n] != unit or skip & set(range(i, i + n)):
                continue
            if n == 1 and unit[0] in lexicon.allowed_doubles:
                continue
            j = i + n
            while texts[j : j + n] == unit:
                stumbles[" ".join(unit)] += 1
                j += n
            i = j - n
            break
        i += 1

    frequent: Counter[str] = Counter()
    for n in range(2, _MAX_PHRASE_WORDS + 1):
        for k in range(len(texts) - n + 1):
            if skip & set(range(k, k + n)):
                continue
            if all(t in lexicon.function_words for t in texts[k : k + n]):
                continue
            frequent[" ".join(texts[k : k + n])] += 1
    common = {p: c for p, c in frequent.items() if c >= _FREQUENT_MIN}
    # Keep only the longest form: "at the end of" hides "the end of" said as often.
    maximal = {
        p: c
        for p, c in common.items()
        if not any(p != q and f" {p} " in f" {q} " and c == cq for q, cq in common.items())
    }
    phrases = [RepeatedPhrase(p, c, True) for p, c in sorted(stumbles.items())]
    ranked = sorted(maximal.items(), key=lambda pc: (-pc[1], -len(pc[0]), pc[0]))
    phrases += [RepeatedPhrase(p, c, False) for p, c in ranked]
    return phrases[:_MAX_REPEATED_PHRASES], sum(stumbles.values())


def _rule_applies(
    tokens: Sequence[Token], i: int, n: int, rule: PhraseRule, lexicon: Lexicon, fillers: set[int]
) -> bool:
    previous = tokens[i - 1] if i > 0 else None
    last = tokens[i + n - 1]
    # Context only counts within a clause: in "we, like, wrote" the "like" is not a verb.
    if previous is not None and previous.boundary == "" and previous.text in rule.not_after:
        return False
    if last.boundary == "":
        following = [t.text for t in tokens[i + n : i + n + 4]]
        if any(following[: len(p.split())] == p.split() for p in rule.not_before):
            return False
    if rule.mid_sentence and (previous is None or previous.boundary == "."):
        return False
    at_clause_start = previous is None or previous.boundary != ""
    set_off_after = last.boundary != "" or i + n == len(tokens)
    after_filler = (i - 1) in fillers
    match rule.position:
        case "any":
            return True
        case "opener":
            return previous is None or (previous.boundary == "." and last.boundary == ",")
        case "before_pause":
            return set_off_after
        case "isolated":
            return (at_clause_start or after_filler) and set_off_after
    before_number = rule.before_number and i + n < len(tokens) and is_number(tokens[i + n], lexicon)
    return at_clause_start or set_off_after or after_filler or before_number


def _append_token(tokens: list[Token], piece: str, start_s: float, end_s: float) -> None:
    piece = piece.replace("\u2019", "'")
    core = _EDGES.sub("", piece)
    trailing = piece[len(piece.rstrip("".join(_SENTENCE_END | _CLAUSE_END) + _CLOSERS)) :]
    boundary: Literal["", ",", "."] = (
        "." if _SENTENCE_END & set(trailing) else "," if _CLAUSE_END & set(trailing) else ""
    )
    if core:
        tokens.append(Token(core.lower(), piece, boundary, start_s, end_s))
    elif tokens and boundary and not tokens[-1].boundary:
        # A lone "-" or "..." word: its punctuation belongs to the word before.
        tokens[-1] = tokens[-1]._replace(boundary=boundary)


def _pace(wpm: float, speaking_s: float, targets: DeliveryTargets) -> Pace:
    if speaking_s < targets.min_pace_sample_s:
        return "unknown"
    if wpm < targets.min_wpm:
        return "slow"
    return "fast" if wpm > targets.max_wpm else "ok"


def _length(span_s: float, word_count: int, targets: DeliveryTargets) -> Length:
    if word_count and span_s <= 0:
        return "unknown"
    if span_s < targets.min_answer_s:
        return "short"
    return "long" if span_s > targets.max_answer_s else "ok"


def _per_100(count: int, word_count: int) -> float:
    return 100.0 * count / word_count if word_count else 0.0


def _round(value: float) -> float:
    return round(value, 2)
