"""The offline coach: deterministic feedback from the rubric, written as short helpful prose.

No network and no model: it scores with `rubric.analyse`, picks what went well, what to
improve and one next step, and quotes the speaker where that helps. All wording lives in
`data/coach.<lang>.json`: English, Spanish and Portuguese now. French, German and Italian
answers are scored with their own word lists but get English wording until someone writes
`coach.fr.json` etc. (one file each, the same keys and fields as English).
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from typing import Any

import msgspec

from server.errors import ConfigError
from server.interview.metrics import DeliveryMetrics, compute_metrics, words_from_text
from server.interview.rubric import (
    DIMENSIONS,
    RUBRIC_VERSION,
    WEIGHTS,
    Assessment,
    Evidence,
    analyse,
    delivery_problems,
)
from server.interview.types import (
    FeedbackChunk,
    FeedbackRequest,
    FeedbackResult,
    PastAnswer,
)
from server.interview.wording import (
    load_wording,
    template_fields,
    with_english_fallback,
    wording_language,
)

COACH_MODEL = "podium-coach-1"
_MAX_POINTS = 2
_MAX_LISTED = 3
# Far too short to be a story, whatever the timing says; and far too long to follow.
_FAR_TOO_SHORT_WORDS = 60
_FAR_TOO_SHORT_S = 30.0
_RAMBLING_S = 150.0
_RAMBLING_SENTENCE_WORDS = 60
# Or clause after clause strung on with "and" / "so": at least this many, and this many per
# 100 words (measured: 11.8 in a rambling answer, at most 6.4 in 15 other graded answers
# and 3.2 in read speech).
_RAMBLING_CHAINS = 10
_RAMBLING_CHAINS_PER_100 = 8.0
# Hedges and fillers this often are named first, with the speaker's words and counts.
_MANY_HEDGES = 3
_MANY_FILLERS = 6
_STRONG_OVERALL = 75
_I = re.compile(r"\bi\b")
# Advice that says the same thing under two names: only the first is given.
_SAME_ADVICE = {"length_short": "too_short", "length_long": "rambling"}


class _TemplatesFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    language: str
    templates: dict[str, str]


class OfflineCoach:
    """A `FeedbackProvider` that needs nothing but the answer; also the fallback for Gemini."""

    name = "offline"

    def __init__(self, *, model: str = COACH_MODEL) -> None:
        self.model = model

    async def stream(
        self, request: FeedbackRequest
    ) -> AsyncIterator[FeedbackChunk | FeedbackResult]:
        """Yield the feedback sentence by sentence, then the result (text = all chunks joined)."""
        pieces, result = self.compose(request)
        for piece in pieces:
            yield FeedbackChunk(text=piece)
            await asyncio.sleep(0)  # let other tasks run between chunks, as a real stream would
        yield result

    def compose(self, request: FeedbackRequest) -> tuple[list[str], FeedbackResult]:
        """The feedback as chunks and as the one result, without streaming."""
        metrics = request_metrics(request)
        assessment = analyse(request.question, request.transcript, metrics)
        say = _Writer(templates(request.language))
        paragraphs = _paragraphs(say, request.question, assessment, metrics, request.history)
        pieces = [
            sentence + (" " if i < len(p) - 1 else "\n\n" if j < len(paragraphs) - 1 else "")
            for j, p in enumerate(paragraphs)
            for i, sentence in enumerate(p)
        ]
        result = FeedbackResult(
            text="".join(pieces),
            scores=assessment.scores,
            overall=assessment.overall,
            provider=self.name,
            model=self.model,
            rubric_version=RUBRIC_VERSION,
        )
        return pieces, result


def next_step(
    question: str,
    transcript: str,
    metrics: DeliveryMetrics,
    language: str,
    *,
    given: Collection[str] = (),
) -> str:
    """The one thing to do next after this answer, in one sentence (as the feedback ends).

    `given`: steps already given for other answers (an interview report's earlier rows): the
    step for this answer's next flaw is chosen over one of those, so rows whose flaws differ do
    not all read the same; an answer with no other flaw keeps its own step.
    """
    say = _Writer(templates(language))
    assessment = analyse(question, transcript, metrics)
    if assessment.evidence.word_count == 0:
        return say("next.empty")
    problems = _problems(say, question, assessment, metrics)
    steps = [_next_step(say, [problem]) for problem in problems] or [_next_step(say, [])]
    return next((step for step in steps if step not in given), steps[0])


def templates(language: str) -> dict[str, str]:
    """The coach's wording for a language ("pt-BR" -> "pt"), English where there is none."""
    return _templates(wording_language(language))


@functools.cache
def _templates(language: str) -> dict[str, str]:
    return with_english_fallback(language, _load, _check_translation)


def _load(language: str) -> dict[str, str]:
    return load_wording("coach", language, _TemplatesFile).templates


def _check_translation(english: dict[str, str], translated: dict[str, str], language: str) -> None:
    """A translation must say everything English says, with the same fields to fill."""
    for key, text in english.items():
        if template_fields(translated.get(key, "")) != template_fields(text):
            raise ConfigError(f"coach.{language}.json: {key!r} is missing or has other fields")


class _Writer:
    """Fills templates; `list` joins items as "a, b and c" in the language."""

    def __init__(self, wording: dict[str, str]) -> None:
        self._wording = wording

    def __call__(self, key: str, **fields: Any) -> str:
        return self._wording[key].format(**fields)

    def list(self, items: Sequence[str]) -> str:
        if len(items) < 2:
            return "".join(items)
        return self("comma").join(items[:-1]) + self("and") + items[-1]

    def quoted(self, items: Sequence[str]) -> str:
        return self.list([self("quoted", text=item) for item in items[:_MAX_LISTED]])


def request_metrics(request: FeedbackRequest) -> DeliveryMetrics:
    """The request's delivery metrics, or the text's own when they are missing or stale."""
    try:
        return msgspec.convert(request.metrics, DeliveryMetrics)
    except msgspec.ValidationError:
        # Metrics from another version or none at all: measure the text (pace then unknown).
        words = words_from_text(request.transcript)
        return compute_metrics(words, duration_s=0.0, language=request.language)


def _paragraphs(
    say: _Writer,
    question: str,
    a: Assessment,
    m: DeliveryMetrics,
    history: Sequence[PastAnswer],
) -> list[list[str]]:
    """Score, then what to fix (the most important first), what worked, and one next step.
    Praise is specific or absent: nothing is said to have gone well unless something did."""
    if a.evidence.word_count == 0:
        return [[say("empty")], [say("next.empty")]]
    summary = [say("score", overall=a.overall), *_trend(say, a, history)]
    problems = _problems(say, question, a, m)
    fixes = [fix for fix, _ in problems] or [say("fix.none")]
    fixes[0] = say("fix.heading") + fixes[0]
    strengths = _strengths(say, a, m)
    if strengths:
        strengths[0] = say("well.heading") + strengths[0]
    # A strong answer hears what made it strong first; otherwise the most important fix leads.
    body = [strengths, fixes] if a.overall >= _STRONG_OVERALL else [fixes, strengths]
    return [summary, *[p for p in body if p], [_next_step(say, problems)]]


def _next_step(say: _Writer, problems: Sequence[tuple[str, str]]) -> str:
    return say(f"next.{problems[0][1]}") if problems else say("next.polish")


def _trend(say: _Writer, a: Assessment, history: Sequence[PastAnswer]) -> list[str]:
    scored = sorted((p for p in history if p.overall is not None), key=lambda p: p.created_at)
    if not scored:
        return []
    last = scored[-1]
    previous = last.overall or 0
    delta = a.overall - previous
    lines = [
        say("trend.up", delta=delta, previous=previous)
        if delta > 0
        else say("trend.down", delta=-delta, previous=previous)
        if delta < 0
        else say("trend.same")
    ]
    if len(scored) >= 2 and a.overall > max(p.overall or 0 for p in scored):
        lines.append(say("trend.best"))
    if last.scores is not None:
        before = msgspec.structs.asdict(last.scores)
        after = msgspec.structs.asdict(a.scores)
        changed = max(DIMENSIONS, key=lambda d: abs(after[d] - before[d]))
        if after[changed] != before[changed]:
            dimension = say(f"dimension.{changed}")
            lines.append(
                say(
                    "trend.dimension",
                    dimension=dimension,
                    before=before[changed],
                    after=after[changed],
                )
            )
    return lines


def _strengths(say: _Writer, a: Assessment, m: DeliveryMetrics) -> list[str]:
    e, s = a.evidence, a.scores
    found: list[tuple[int, str]] = []
    if s.structure >= 4:
        complete = len(e.missing_parts) == 0 and e.star_in_order
        parts = say.list([say(f"part.{p}") for p in e.star_parts])
        found.append(
            (
                s.structure,
                say("well.structure") if complete else say("well.structure_parts", parts=parts),
            )
        )
    if s.result >= 4 and e.result_quote:
        key = "well.result_quantified" if e.quantified_result else "well.result"
        found.append((s.result, say(key, quote=say("quoted", text=e.result_quote))))
    if s.specificity >= 4:
        found.append(
            (s.specificity, say("well.details", details=say.list(e.details[:_MAX_LISTED])))
        )
        if e.i_actions >= 2 and e.i_count >= e.we_count:
            found.append((s.specificity, say("well.ownership")))
    if s.relevance >= 4 and e.matched_terms:
        found.append((s.relevance, say("well.relevance")))
    if s.delivery >= 4:
        pace_ok = m.pace == "ok"
        line = say("well.pace", wpm=round(m.words_per_minute)) if pace_ok else say("well.delivery")
        found.append((s.delivery, line))
    # Best first; `sorted` is stable, so equal scores keep the order above.
    return [line for _, line in sorted(found, key=lambda f: -f[0])[:_MAX_POINTS]]


def _problems(
    say: _Writer, question: str, a: Assessment, m: DeliveryMetrics
) -> list[tuple[str, str]]:
    """Up to two (advice, next-step key) pairs: what a coach says first (length, an answer to
    another question, hedging, fillers, no real example), then the weakest dimensions below 5."""
    writers: dict[str, Callable[[], tuple[str, str] | None]] = {
        "structure": lambda: _fix_structure(say, a),
        "relevance": lambda: _fix_relevance(say, question, a),
        "specificity": lambda: _fix_specificity(say, a),
        "result": lambda: _fix_result(say, a),
        "delivery": lambda: _fix_delivery(say, m),
    }
    scores = msgspec.structs.asdict(a.scores)
    weakest = sorted(
        (d for d in DIMENSIONS if scores[d] < 5), key=lambda d: (scores[d], -WEIGHTS[d])
    )
    fixes: list[tuple[str, str]] = _first_things(say, question, a, m)
    told_too_short = any(kind == "too_short" for _, kind in fixes)
    for dimension in weakest:
        if dimension == "structure" and told_too_short:
            continue  # the too-short advice already named the missing parts
        fix = writers[dimension]()
        # One point per kind of advice: a short answer shows in structure, relevance and delivery.
        kind = _SAME_ADVICE.get(fix[1], fix[1]) if fix is not None else ""
        if fix is not None and all(kind != _SAME_ADVICE.get(c, c) for _, c in fixes):
            fixes.append(fix)
    return fixes[:_MAX_POINTS]


def _first_things(
    say: _Writer, question: str, a: Assessment, m: DeliveryMetrics
) -> list[tuple[str, str]]:
    """The flaws a coach names before any score: they decide how the rest is heard."""
    e = a.evidence
    seconds = round(m.spoken_span_s) if m.spoken_span_s > 0 else round(e.word_count / 2.5)
    timed = m.spoken_span_s > 0
    # The count the person sees beside the feedback (the timed words'; a transcript's text
    # can split a contraction differently).
    words = m.word_count or e.word_count
    found: list[tuple[str, str]] = []
    if words < _FAR_TOO_SHORT_WORDS or (timed and m.spoken_span_s < _FAR_TOO_SHORT_S):
        # A past story also hears which of its parts were missing (structure's advice, here;
        # a missing result keeps its own advice, which says what to end on).
        story = e.category == "behavioural"
        missing = [p for p in e.missing_parts if p != "result"] if story else []
        parts = say.list([say(f"part.{p}") for p in missing])
        key = "fix.too_short_parts" if missing else "fix.too_short"
        found.append((say(key, words=words, seconds=seconds, parts=parts), "too_short"))
    elif (timed and m.spoken_span_s > _RAMBLING_S) or e.longest_sentence > _RAMBLING_SENTENCE_WORDS:
        text = say("fix.rambling", words=words, longest=e.longest_sentence)
        found.append((text, "rambling"))
    elif _strung_on(e):
        text = say("fix.rambling_chained", words=words, joins=_counted(say, e.chained_clauses))
        found.append((text, "rambling"))
    if e.off_topic:
        found.append((say("fix.off_topic", question=question.strip()), "off_topic"))
    if m.hedge_count >= _MANY_HEDGES:
        found.append((say("fix.hedges_counted", top=_counted(say, m.hedges)), "hedges"))
    if m.filler_count >= _MANY_FILLERS:
        fix = _fix_delivery(say, m, only="fillers")
        if fix is not None:
            found.append(fix)
    vague = not e.details and "situation" not in e.star_parts and e.i_actions < 2
    if e.category == "behavioural" and vague and e.word_count >= _FAR_TOO_SHORT_WORDS // 2:
        found.append((say("fix.vague"), "vague"))
    return found


def _strung_on(e: Evidence) -> bool:
    """Whether the answer runs on, clause after clause joined by "and" / "so"."""
    chains = sum(e.chained_clauses.values())
    return chains >= _RAMBLING_CHAINS and chains * 100 >= _RAMBLING_CHAINS_PER_100 * e.word_count


def _counted(say: _Writer, counts: dict[str, int]) -> str:
    """Every word with how often it was said, most often first, so the counts add up."""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    # Word lists are lowercase; the English "I" is written as people write it.
    return say.list([say("counted", word=_I.sub("I", w), count=c) for w, c in ranked])


def _fix_structure(say: _Writer, a: Assessment) -> tuple[str, str] | None:
    e = a.evidence
    if e.word_count < 40:
        return say("fix.story_short", words=e.word_count), "too_short"
    if e.missing_parts:
        parts = say.list([say(f"part.{p}") for p in e.missing_parts])
        return say("fix.structure_missing", parts=parts), "structure"
    return (say("fix.structure_order"), "structure") if not e.star_in_order else None


def _fix_relevance(say: _Writer, question: str, a: Assessment) -> tuple[str, str] | None:
    e = a.evidence
    if e.word_count < 40:
        return say("fix.relevance_short"), "too_short"
    if a.scores.relevance >= 4:
        return None
    return say("fix.relevance_question", question=question.strip()), "relevance"


def _fix_specificity(say: _Writer, a: Assessment) -> tuple[str, str]:
    e = a.evidence
    if e.we_count > e.i_count and e.i_actions < 2:
        return say("fix.ownership", we_count=e.we_count, i_count=e.i_count), "ownership"
    return say("fix.details"), "specificity"


def _fix_result(say: _Writer, a: Assessment) -> tuple[str, str]:
    e = a.evidence
    if e.result_quote is None:
        return say("fix.result_missing"), "result"
    if not e.quantified_result:
        return say("fix.result_number", quote=say("quoted", text=e.result_quote)), "result"
    return say("fix.result_reflection"), "result_reflection"


def _fix_delivery(
    say: _Writer, m: DeliveryMetrics, *, only: str | None = None
) -> tuple[str, str] | None:
    problems = delivery_problems(m)
    if only is not None:
        problems = {only: 1}
    if not problems:
        return None
    worst = next(iter(problems))
    top_hedges = sorted(m.hedges.items(), key=lambda item: (-item[1], item[0]))
    stumble = next((r.phrase for r in m.repeated_phrases if r.back_to_back), "")
    personal = m.pace_basis == "personal" and m.baseline_wpm is not None
    pace = (
        {"wpm": round(m.words_per_minute), "usual": round(m.baseline_wpm or 0)}
        if personal
        else {
            "wpm": round(m.words_per_minute),
            "low": round(m.pace_min_wpm),
            "high": round(m.pace_max_wpm),
        }
    )
    fields: dict[str, dict[str, Any]] = {
        "fillers": {
            "count": m.filler_count,
            "top": _counted(say, m.fillers),
            "per_100": round(m.fillers_per_100_words),
        },
        "hedges": {"top": say.quoted([w for w, _ in top_hedges])},
        "pace_fast": pace,
        "pace_slow": pace,
        "length_short": {"seconds": round(m.spoken_span_s)},
        "length_long": {"seconds": round(m.spoken_span_s)},
        "pauses": {"count": m.long_pause_count, "longest": round(m.longest_pause_s, 1)},
        "repetition": {
            "count": m.repetition_count,
            "example": say("quoted", text=f"{stumble} {stumble}"),
        },
    }
    key = (
        f"fix.{worst}_personal"
        if personal and worst in ("pace_fast", "pace_slow")
        else f"fix.{worst}"
    )
    return say(key, **fields[worst]), worst
