"""The rubric: five dimensions scored 1-5 from the transcript and its delivery metrics.

- structure: 1 + the STAR parts found by cue phrases (situation, task, action = "I <past
  verb>" or "I would <verb>", result); all four out of order -1; under 40 words at most 2.
- relevance: share of the question's content words (or related words) the answer uses:
  none 2 (3 for a behavioural answer that tells a story), < 25% 3, < 50% 4, else 5; under
  15 words 1, under 40 at most 2.
- specificity: 1 + points for distinct numbers and names (1-2: 1, 3-4: 2, 5+: 3) + 1 when
  the speaker says what they did ("I" at least as often as "we", 2+ "I" actions).
  In pro-drop languages the verb says who: es "decidí", pt "resolvi" count as "I" and as
  actions, "decidimos" as "we" (see `Lexicon.first_person_verb`).
- result: 1 + 2 for a result cue + 1 when its sentence (or the first words of the next: a
  recogniser splits at pauses) has a number + 1 for a lesson learned.
  Situational ("how would you…") and opinion ("what is your…") questions ask for a plan or a
  view, not a past story: their answers score at least 3 on result and on structure.
- delivery: 5 minus `delivery_problems` (pace, length, fillers, hedges, pauses, stumbles).

Overall: the weighted mean (`WEIGHTS`), at most 40 when the answer is off topic: it shares no
word with the question and, for a behavioural one, tells no story of what the speaker did and
how it ended.

Every list, cue and ending comes from the answer's language (`metrics.language`); the
rules are the same in every language. Deterministic and explainable: `Evidence` records what
each score rests on, so the offline coach can say why. `RUBRIC_VERSION` is stored with every
score; change it whenever a rule, a threshold, a word list, the metrics or the weighting
changes, so that scores from different versions are never compared as if alike.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from typing import Literal

import msgspec

from server.interview.lexicon import Lexicon, lexicon_for
from server.interview.metrics import DeliveryMetrics, Token, is_number, tokenize
from server.interview.types import Scores

# 2: word lists and first-person rules per language (es, pt, fr, de, it); pace bands.
# 3: results phrased as a before/after or a change; the question's category; more related words.
# 4: a recogniser's full stop before a lowercase "and" does not end a sentence (spoken run-ons).
# 5: a result's number may follow in the next sentence piece; problems as situation cues
#    ("had become too long"); clauses chained with "and" / "so" counted (rambling); a story
#    in other words than the question's scores relevance 3, not 2; "I did X and did Y" is two
#    actions.
# 6: ... or come at the end of the piece before, where the result's piece goes on from it in
#    lowercase ("I closed 500. and 40%. on quota. and I was the top...").
RUBRIC_VERSION = "podium-rubric-6"

# Overall = weighted mean of (score - 1) / 4, as 0-100. Content (what you did and what came of
# it) is 80%, delivery 20%: interviewers judge the story more than its polish. Sum is 100.
WEIGHTS: dict[str, int] = {
    "structure": 25,
    "relevance": 15,
    "specificity": 20,
    "result": 20,
    "delivery": 20,
}
DIMENSIONS: tuple[str, ...] = tuple(WEIGHTS)
STAR_PARTS: tuple[str, ...] = ("situation", "task", "action", "result")

# Below these an answer is too short to be a story or to address the question.
_MIN_STORY_WORDS = 40
_MIN_ANSWER_WORDS = 15
# Delivery: how far outside the pace band costs a second point, as fractions of its ends
# (English: under 100 or over 185 words a minute for its 120-160).
_VERY_SLOW_SHARE = 5 / 6
_VERY_FAST_SHARE = 37 / 32
_VERY_SHORT_S = 30.0
_VERY_LONG_S = 180.0
_FILLER_BANDS = (2.0, 4.0, 7.0)  # fillers per 100 words; each band crossed costs a point
_HEDGE_BANDS = (2.0, 4.0)
_MAX_LONG_PAUSES = 2
_MAX_REPETITIONS = 2
_QUOTE_WORDS = 25
# How far into the next sentence a result's number may come (a pause split the sentence).
_RESULT_NUMBER_REACH = 8
# How far back "and <past verb>" looks for its subject ("I put a lock on the write and added").
_SUBJECT_REACH = 10
_OFF_TOPIC_MAX_OVERALL = 40
_RELATED_STEMS: dict[str, dict[str, str]] = {}

Category = Literal["behavioural", "situational", "opinion"]


class Evidence(msgspec.Struct, frozen=True, kw_only=True):
    """What the scores rest on; quotes are the speaker's own words."""

    word_count: int
    star_parts: list[str]
    missing_parts: list[str]
    star_in_order: bool
    question_terms: list[str]
    matched_terms: list[str]
    details: list[str]
    i_count: int
    we_count: int
    i_actions: int
    result_quote: str | None
    quantified_result: bool
    reflection: bool
    category: Category = "behavioural"
    longest_sentence: int = 0
    off_topic: bool = False
    # Clauses strung on with a continuation word ("and we…", "so the…"): word -> times.
    chained_clauses: dict[str, int] = msgspec.field(default_factory=dict)


class Assessment(msgspec.Struct, frozen=True):
    scores: Scores
    overall: int
    evidence: Evidence


def assess(question: str, transcript: str, metrics: DeliveryMetrics) -> Scores:
    """Score one answer on the five dimensions (1-5 each)."""
    return analyse(question, transcript, metrics).scores


def overall_score(scores: Scores) -> int:
    """0-100 from the five 1-5 scores with `WEIGHTS` (all 1 -> 0, all 5 -> 100)."""
    total = 0
    for name, weight in WEIGHTS.items():
        value = getattr(scores, name)
        if not 1 <= value <= 5:
            raise ValueError(f"{name} score must be 1-5, not {value}")
        total += weight * (value - 1)
    return (total + 2) // 4  # total / 4 rounded half up, in integers so it never drifts


def analyse(question: str, transcript: str, metrics: DeliveryMetrics) -> Assessment:
    """Scores, overall and the evidence behind them."""
    lexicon = lexicon_for(metrics.language)
    tokens = tokenize(transcript)
    texts = [t.text for t in tokens]
    word_count = len(tokens)

    actions = _i_actions(texts, lexicon)
    positions = {
        "situation": _find_all(texts, lexicon.situation_cues),
        "task": _find_all(texts, lexicon.task_cues),
        "action": sorted(set(_find_all(texts, lexicon.action_cues)) | set(actions)),
        "result": _find_all(texts, lexicon.result_cues),
    }
    found = [part for part in STAR_PARTS if positions[part]]
    in_order = all(
        min(positions[a]) <= max(positions[b]) for a, b in zip(found, found[1:], strict=False)
    )
    question_terms, matched = _term_overlap(question, texts, lexicon)
    details = _details(tokens, lexicon)
    i_count, we_count = _self_counts(texts, lexicon)
    quote, quantified = _result_sentence(tokens, lexicon)
    reflection = bool(_find_all(texts, lexicon.reflection_cues))
    sentence_lengths = [len(s) for s in _sentences(tokens, lexicon) if s]

    category = question_category(question, lexicon)
    # Shared words alone cannot tell: a story (`_told_a_story`) may answer a behavioural
    # question in other words; a plan or a view must share something with what was asked.
    off_topic = (
        word_count >= _MIN_ANSWER_WORDS
        and bool(question_terms)
        and _same_language(question, lexicon)
        and not matched
        and (category != "behavioural" or not _told_a_story(len(actions), found))
    )
    evidence = Evidence(
        word_count=word_count,
        star_parts=found,
        missing_parts=[part for part in STAR_PARTS if part not in found],
        star_in_order=in_order,
        question_terms=question_terms,
        matched_terms=matched,
        details=details,
        i_count=i_count,
        we_count=we_count,
        i_actions=len(actions),
        result_quote=quote,
        quantified_result=quantified,
        reflection=reflection,
        category=category,
        off_topic=off_topic,
        longest_sentence=max(sentence_lengths, default=0),
        chained_clauses=_chained_clauses(texts, lexicon),
    )
    scores = Scores(
        structure=_structure(evidence),
        relevance=_relevance(evidence),
        specificity=_specificity(evidence),
        result=_result(evidence),
        delivery=delivery_score(metrics),
    )
    overall = overall_score(scores)
    if evidence.off_topic:
        # An answer to another question is not a good answer however well it is told.
        overall = min(overall, _OFF_TOPIC_MAX_OVERALL)
    return Assessment(scores=scores, overall=overall, evidence=evidence)


def question_category(question: str, lexicon: Lexicon) -> Category:
    """What kind of answer the question asks for, from how it starts (per clause, so that
    "Your team is split. What would you do?" is situational too)."""
    sentences = _sentences(tokenize(question), lexicon)
    clauses = [" ".join(t.text for t in clause) for clause in sentences]
    for clause in clauses:
        if any(clause.startswith(opener) for opener in lexicon.situational_openers):
            return "situational"
    for clause in clauses:
        if any(clause.startswith(opener) for opener in lexicon.opinion_openers):
            return "opinion"
    return "behavioural"


def _same_language(question: str, lexicon: Lexicon) -> bool:
    """Whether the question is in the answer's language (it uses one of its small words):
    words cannot be compared across languages."""
    small = lexicon.function_words | lexicon.question_words
    return any(t.text in small for t in tokenize(question))


def delivery_score(metrics: DeliveryMetrics) -> int:
    """5 minus the points of `delivery_problems`, at least 1."""
    if metrics.word_count == 0:
        return 1
    return max(1, 5 - sum(delivery_problems(metrics).values()))


def delivery_problems(metrics: DeliveryMetrics) -> dict[str, int]:
    """Problem -> delivery points it cost, worst first; ties in this order: fillers,
    pace_slow / pace_fast, length_short / length_long, hedges, pauses, repetition."""
    problems: dict[str, int] = {
        "fillers": sum(metrics.fillers_per_100_words > band for band in _FILLER_BANDS)
    }
    if metrics.pace in ("slow", "fast"):
        slowest = metrics.pace_min_wpm * _VERY_SLOW_SHARE
        fastest = metrics.pace_max_wpm * _VERY_FAST_SHARE
        far = not slowest <= metrics.words_per_minute <= fastest
        problems[f"pace_{metrics.pace}"] = 2 if far else 1
    if metrics.length in ("short", "long"):
        far = not _VERY_SHORT_S <= metrics.spoken_span_s <= _VERY_LONG_S
        problems[f"length_{metrics.length}"] = 2 if far else 1
    problems["hedges"] = sum(metrics.hedges_per_100_words > band for band in _HEDGE_BANDS)
    problems["pauses"] = int(metrics.long_pause_count > _MAX_LONG_PAUSES)
    problems["repetition"] = int(metrics.repetition_count > _MAX_REPETITIONS)
    ranked = sorted(problems.items(), key=lambda item: -item[1])  # stable: ties keep order
    return {name: points for name, points in ranked if points > 0}


def _structure(e: Evidence) -> int:
    score = 1 + len(e.star_parts)
    if len(e.star_parts) == len(STAR_PARTS) and not e.star_in_order:
        score -= 1
    if e.category != "behavioural":
        score = max(score, 3)  # a plan or a view need not be told as a past story
    return min(score, 2) if e.word_count < _MIN_STORY_WORDS else score


def _relevance(e: Evidence) -> int:
    if e.word_count < _MIN_ANSWER_WORDS:
        return 1
    if not e.question_terms:
        score = 3  # a question with no content words: nothing to compare
    else:
        ratio = len(e.matched_terms) / len(e.question_terms)
        score = 2 if ratio == 0 else 3 if ratio < 0.25 else 4 if ratio < 0.5 else 5
        if ratio == 0 and e.category == "behavioural" and _told_a_story(e.i_actions, e.star_parts):
            score = 3  # it may answer in other words, or the recogniser lost the shared ones

    return min(score, 2) if e.word_count < _MIN_STORY_WORDS else score


def _told_a_story(i_actions: int, star_parts: Sequence[str]) -> bool:
    """What the speaker did, with how it ended: taken to answer a behavioural question even
    in words other than the question's."""
    return i_actions >= 2 and "result" in star_parts


def _specificity(e: Evidence) -> int:
    count = len(e.details)
    points = 0 if count == 0 else 1 if count <= 2 else 2 if count <= 4 else 3
    if e.i_actions >= 2 and e.i_count >= e.we_count:
        points += 1
    return 1 + min(points, 4)


def _result(e: Evidence) -> int:
    if e.word_count < _MIN_ANSWER_WORDS:
        return 1
    has_result = "result" in e.star_parts
    score = min(5, 1 + 2 * has_result + e.quantified_result + e.reflection)
    return score if e.category == "behavioural" else max(score, 3)


def _find_all(texts: Sequence[str], phrases: Sequence[str]) -> list[int]:
    """Start indices of every occurrence of any of the phrases."""
    hits: list[int] = []
    for phrase in phrases:
        parts = phrase.split()
        n = len(parts)
        hits += [i for i in range(len(texts) - n + 1) if texts[i : i + n] == parts]
    return sorted(hits)


def _self_counts(texts: Sequence[str], lexicon: Lexicon) -> tuple[int, int]:
    """How often the speaker says "I" and "we": pronouns and possessives, plus verb forms that
    carry the person (es "decidí" / "decidimos") unless a pronoun right before already counted."""
    singular = plural = 0
    for i, word in enumerate(texts):
        pronoun_before = i > 0 and (
            texts[i - 1] in lexicon.singular_self or texts[i - 1] in lexicon.plural_self
        )
        if word in lexicon.singular_self:
            singular += 1
        elif word in lexicon.plural_self:
            plural += 1
        elif pronoun_before:
            continue
        elif _matches(lexicon.first_person_verb, word, lexicon):
            singular += 1
        elif _matches(lexicon.plural_verb, word, lexicon):
            plural += 1
    return singular, plural


def _i_actions(texts: Sequence[str], lexicon: Lexicon) -> list[int]:
    """Indices of what the speaker did or would do: "I <past verb>", "and <past verb>" after
    "I" (`_speaker_before`), a first-person verb form (es "decidí", "hablaría"), or "I would /
    j'ai / voy a" before a content word."""
    hits: list[int] = []
    for i, word in enumerate(texts):
        if _matches(lexicon.first_person_verb, word, lexicon) and word not in lexicon.not_actions:
            hits.append(i)
            continue
        if i + 1 >= len(texts):
            break
        after = texts[i + 1]
        past = after in lexicon.irregular_past or any(
            len(after) > len(suffix) + 1 and after.endswith(suffix)
            for suffix in lexicon.past_suffixes
        )
        if word in lexicon.subject_self and past and after not in lexicon.not_actions:
            hits.append(i)
            continue
        joins = word in lexicon.continuations and word not in lexicon.other_subjects
        if (
            joins
            and past
            and after not in lexicon.not_actions
            and _speaker_before(texts, i, lexicon)
        ):
            hits.append(i)  # "I rolled it back and posted updates": both the speaker's
            continue
        for phrase in lexicon.conditional_self | lexicon.auxiliary_self:
            parts = phrase.split()
            verb_at = i + len(parts)
            if (
                list(texts[i:verb_at]) == parts
                and verb_at < len(texts)
                and texts[verb_at] not in lexicon.function_words
            ):
                hits.append(i)
                break
    return hits


def _chained_clauses(texts: Sequence[str], lexicon: Lexicon) -> dict[str, int]:
    """Continuation words that start another clause ("and we", "so the", "and then"), counted
    per word. A run-on answer strings clause after clause this way; a recogniser's full stops
    at each pause hide it from sentence lengths, these words do not."""
    counts: dict[str, int] = {}
    for i, word in enumerate(texts[:-1]):
        joined_already = i > 0 and texts[i - 1] in lexicon.continuations  # "and then we": once
        starts_clause = word in lexicon.continuations and texts[i + 1] in lexicon.function_words
        if starts_clause and not joined_already:
            counts[word] = counts.get(word, 0) + 1
    return counts


def _speaker_before(texts: Sequence[str], at: int, lexicon: Lexicon) -> bool:
    """Whether the nearest subject before `at` (within `_SUBJECT_REACH` words) is the speaker."""
    for word in reversed(texts[max(0, at - _SUBJECT_REACH) : at]):
        if word in lexicon.subject_self:
            return True
        if word in lexicon.plural_self or word in lexicon.other_subjects:
            return False
    return False


def _matches(pattern: str, word: str, lexicon: Lexicon) -> bool:
    return (
        bool(pattern)
        and word not in lexicon.not_verbs
        and _regex(pattern).fullmatch(word) is not None
    )


@functools.cache
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _concept(word: str, lexicon: Lexicon) -> str:
    """The stem of a word, or of the first word of its group of related words."""
    groups = _RELATED_STEMS.get(lexicon.language)
    if groups is None:
        groups = {
            _stem(w, lexicon): _stem(group[0], lexicon)
            for group in lexicon.related_words
            for w in group
        }
        _RELATED_STEMS[lexicon.language] = groups
    stem = _stem(word, lexicon)
    return groups.get(stem, stem)


def _stem(word: str, lexicon: Lexicon) -> str:
    """A crude suffix stripper: enough to match "conflicts" with "conflict", "decisiones"
    with "decisión" (accents are dropped first)."""
    word = word.removesuffix("'s")
    elided = next((p for p in lexicon.elided_prefixes if word.startswith(p)), "")
    word = _without_accents(word[len(elided) :])
    for suffix, replacement in lexicon.stem_suffixes.items():
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + replacement
    if len(word) > 4 and word[-1] in lexicon.stem_final:
        return word[:-1]
    return word


def _without_accents(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _term_overlap(
    question: str, answer: Sequence[str], lexicon: Lexicon
) -> tuple[list[str], list[str]]:
    """The question's content words, and those the answer also uses (or a related word)."""
    terms: dict[str, str] = {}
    for token in tokenize(question):
        word = token.text
        if word in lexicon.function_words or word in lexicon.question_words or len(word) < 3:
            continue
        terms.setdefault(_concept(word, lexicon), word)
    said = {_concept(word, lexicon) for word in answer}
    return list(terms.values()), [word for key, word in terms.items() if key in said]


def _details(tokens: Sequence[Token], lexicon: Lexicon) -> list[str]:
    """Numbers and names (capitalised words not starting a sentence), each once, as said."""
    seen: dict[str, str] = {}
    for i, token in enumerate(tokens):
        sentence_start = i == 0 or tokens[i - 1].boundary == "."
        said = token.said.strip("\"'()[],.;:!?\u00ab\u00bb\u201c\u201d\u00bf\u00a1")
        capitalised = said[:1].isupper() if lexicon.names_capitalised else _marked_name(said)
        name = (
            capitalised
            and not sentence_start
            and token.text not in lexicon.singular_self
            and token.text not in lexicon.function_words
        )
        if is_number(token, lexicon) or name:
            seen.setdefault(token.text, said)
    return list(seen.values())


def _marked_name(said: str) -> bool:
    """A name even where every noun is capitalised: "GitHub", "SAP", "Q3"."""
    return any(ch.isdigit() for ch in said) or sum(ch.isupper() for ch in said) >= 2


def _sentences(tokens: Sequence[Token], lexicon: Lexicon) -> list[list[Token]]:
    """Sentences as said. A speech recogniser puts a full stop at every pause, so a run-on
    sentence comes back as ". and then ... . which meant ...": a piece that starts with a
    lowercase continuation word ("and", "which") goes on the sentence before it."""
    sentences: list[list[Token]] = [[]]
    for i, token in enumerate(tokens):
        sentences[-1].append(token)
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        goes_on = (
            after is not None and after.said[:1].islower() and after.text in lexicon.continuations
        )
        if token.boundary == "." and not goes_on:
            sentences.append([])
    return sentences


def _result_sentence(tokens: Sequence[Token], lexicon: Lexicon) -> tuple[str | None, bool]:
    """The sentence that states the result (a quantified one first) and whether it has a number
    (its own, or one just across a pause: `_with_figure_across_pause`)."""
    sentences = [s for s in _sentences(tokens, lexicon) if s]
    candidates: list[tuple[list[Token], bool]] = []
    for index, sentence in enumerate(sentences):
        if not _find_all([t.text for t in sentence], lexicon.result_cues):
            continue
        if any(is_number(t, lexicon) for t in sentence):
            candidates.append((sentence, True))
            continue
        widened = _with_figure_across_pause(sentences, index, lexicon)
        candidates.append((widened, True) if widened else (sentence, False))
    quantified = [c for c in candidates if c[1]]
    best = quantified[-1] if quantified else candidates[-1] if candidates else None
    if best is None:
        return None, False
    words = [t.said for t in best[0]]
    quote = " ".join(words[:_QUOTE_WORDS]).rstrip(".,;:!?") + (
        "..." if len(words) > _QUOTE_WORDS else ""
    )
    return quote, best[1]


def _with_figure_across_pause(
    sentences: Sequence[list[Token]], index: int, lexicon: Lexicon
) -> list[Token] | None:
    """Sentence `index` widened to a figure a pause cut off from it, or None.

    A recogniser puts a full stop at every pause, so "we were back up in forty minutes. about
    two percent lost" comes back in two pieces: a number in the first words of the next one
    still quantifies the result. So does one in the last words of the piece before, where this
    one goes on from it in lowercase ("I closed 500. and 40%. on quota. and I was the top...").
    """
    sentence = sentences[index]
    if index + 1 < len(sentences):
        following = sentences[index + 1][:_RESULT_NUMBER_REACH]
        numbered = [i for i, t in enumerate(following) if is_number(t, lexicon)]
        if numbered:
            return sentence + following[: numbered[0] + 1]
    if index > 0 and sentence[0].said[:1].islower():
        preceding = sentences[index - 1][-_RESULT_NUMBER_REACH:]
        numbered = [i for i, t in enumerate(preceding) if is_number(t, lexicon)]
        if numbered:
            return preceding[numbered[-1] :] + sentence
    return None
