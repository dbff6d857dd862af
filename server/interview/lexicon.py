"""Word lists per language: fillers, hedges, STAR cue phrases and the words the rubric ignores.

Each language is one data file, `data/lexicon.<lang>.json`, decoded straight into `Lexicon`
and checked at import, so a bad file stops start-up with one clear line. The code that uses
these lists never names a word itself. Phrases are lowercase, space-separated tokens as
`metrics.tokenize` produces them (apostrophes kept: "i'm", "j'ai").

Languages differ in more than words, and the extra fields say how (all optional):

- First person. English says "I" and marks the past with "-ed" (`subject_self`,
  `past_suffixes`, `irregular_past`). Spanish, Portuguese and Italian usually drop the
  pronoun and mark the person in the verb: `first_person_verb` is a regular expression for a
  verb form that by itself says "I did / I will / I would" (es "decidí", "hablaría"; pt
  "resolvi", "conversaria"; it "farei"), `plural_verb` the same for "we" ("decidimos").
  Words that only look like such forms ("aquí", "ingeniería", "últimos") go in `not_verbs`.
  `auxiliary_self` are first-person auxiliaries before the verb of an action (fr "j'ai",
  it "ho", de "ich habe", es "voy a").
- Stemming for relevance: `elided_prefixes` dropped (fr "l'équipe" -> "équipe"), then
  `stem_suffixes` (suffix -> replacement, first match wins, on the word without accents),
  else one letter of `stem_final` dropped from a word over 4 letters.
- Names: where every noun is capitalised (German), `names_capitalised` is false and only
  mixed-case words and acronyms ("GitHub", "SAP", "Q3") count as names.
- Pace: `pace_wpm` is the band of words per minute a good answer is spoken at. English has
  one (120-160). The other languages have none on purpose: the published cross-language
  rates are syllables per second of read speech (Pellegrino, Coupé & Marsico 2011, Language
  87(3), report es 7.82, it 6.99, fr 7.18, de 5.97 against en 6.19), and turning them into
  words per minute of spontaneous answers depends on assumptions: for Spanish a rough
  conversion lands anywhere from about 125 to 155 words a minute (scaling by syllables per
  word, or assuming equal information per second). Rather than guess, pace in those languages
  is judged against the speaker's own usual rate (see `metrics.compute_metrics`).
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Literal

import msgspec

from server.errors import ConfigError

Position = Literal["any", "set_off", "opener", "before_pause", "isolated"]
DEFAULT_LANGUAGE = "en"
_LEXICON_FILE = re.compile(r"^lexicon\.([a-z]{2,3})\.json$")


class PhraseRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """When a filler or hedge phrase counts, so that "I like Python" is not a filler.

    - position "any": wherever it occurs.
    - "set_off": only at the start of a clause (answer start, after , . ? ! ; :), when a
      comma or the end of a sentence follows it, right after another filler, or, with
      `before_number`, before a number ("like 20 people").
    - "opener": only as the first word of the answer, or starting a sentence and followed by
      a comma ("So, ...").
    - "before_pause": only when punctuation follows it or the answer ends there: es "y este,
      pues" (a filler) against "este proyecto" (a demonstrative).
    - "isolated": punctuation, the answer's edge or another filler on both sides: "Bueno, ..."
      and "..., é, ..." are fillers, "fue bueno" and "é importante" are not.
    `mid_sentence` rules out the first word of a sentence (pt "Assim, ..." means "thus").
    `not_after` words right before it, or `not_before` phrases right after it, cancel it when
    no punctuation stands between: "I like" is a verb, "we, like, wrote" a filler.
    """

    position: Position = "any"
    not_after: frozenset[str] = frozenset()
    not_before: frozenset[str] = frozenset()
    before_number: bool = False
    mid_sentence: bool = False


class Lexicon(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything language-specific that metrics and the rubric look for."""

    language: str
    # Hesitation sounds: regular expression over one token -> the name it is counted under.
    filler_sounds: dict[str, str]
    fillers: dict[str, PhraseRule]
    hedges: dict[str, PhraseRule]
    function_words: frozenset[str]
    # Words of question templates ("tell me about a time") that say nothing about the topic.
    question_words: frozenset[str]
    number_words: frozenset[str]
    singular_self: frozenset[str]
    plural_self: frozenset[str]
    # Past-tense verbs without a regular ending, and past forms that are not actions.
    irregular_past: frozenset[str]
    not_actions: frozenset[str]
    # Said before a verb for a planned action, as in answers to situational questions.
    conditional_self: frozenset[str]
    # Words that are correct said twice in a row ("that that"), so not a stumble.
    allowed_doubles: frozenset[str]
    situation_cues: tuple[str, ...]
    task_cues: tuple[str, ...]
    action_cues: tuple[str, ...]
    result_cues: tuple[str, ...]
    reflection_cues: tuple[str, ...]
    # Words that mean the same thing for relevance ("disagreement" answers "conflict").
    related_words: tuple[tuple[str, ...], ...]
    # How situational ("how would you…") and opinion ("what is your…") questions start: they
    # ask for a plan or a view, so they are not marked down for lacking a past result.
    situational_openers: tuple[str, ...] = ()
    opinion_openers: tuple[str, ...] = ()
    # The subject pronoun that `irregular_past` or a word ending in `past_suffixes` follows.
    subject_self: frozenset[str] = frozenset({"i"})
    past_suffixes: tuple[str, ...] = ("ed",)
    first_person_verb: str = ""
    plural_verb: str = ""
    not_verbs: frozenset[str] = frozenset()
    auxiliary_self: frozenset[str] = frozenset()
    stem_suffixes: dict[str, str] = {}
    stem_final: str = ""
    elided_prefixes: tuple[str, ...] = ()
    names_capitalised: bool = True
    # Words that, in lowercase right after a full stop, go on the sentence before it: a
    # recogniser ends a sentence at every pause, also inside a run-on one (". and then").
    continuations: frozenset[str] = frozenset()
    # Subjects other than the speaker ("he", "they", "who"): after one, "and <past verb>" is
    # no longer what the speaker did ("I asked Sam, who checked and fixed it").
    other_subjects: frozenset[str] = frozenset()
    pace_wpm: tuple[float, float] | None = None


def load_lexicons() -> dict[str, Lexicon]:
    """Read and check every `data/lexicon.<lang>.json`; `ConfigError` if one is bad."""
    lexicons: dict[str, Lexicon] = {}
    for entry in (resources.files("server.interview") / "data").iterdir():
        match = _LEXICON_FILE.match(entry.name)
        if not match:
            continue
        try:
            lexicon = msgspec.json.decode(entry.read_bytes(), type=Lexicon)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise ConfigError(f"{entry.name} is malformed: {exc}") from None
        if lexicon.language != match.group(1):
            raise ConfigError(f"{entry.name} says its language is {lexicon.language}")
        _check(entry.name, lexicon)
        lexicons[lexicon.language] = lexicon
    if DEFAULT_LANGUAGE not in lexicons:
        raise ConfigError(f"lexicon.{DEFAULT_LANGUAGE}.json is missing")
    return lexicons


def _check(name: str, lexicon: Lexicon) -> None:
    patterns = [*lexicon.filler_sounds, lexicon.first_person_verb, lexicon.plural_verb]
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(f"{name}: bad regular expression {pattern!r}: {exc}") from None
    phrases = [
        *lexicon.fillers,
        *lexicon.hedges,
        *lexicon.conditional_self,
        *lexicon.auxiliary_self,
        *lexicon.situation_cues,
        *lexicon.task_cues,
        *lexicon.action_cues,
        *lexicon.result_cues,
        *lexicon.reflection_cues,
    ]
    for phrase in phrases:
        if phrase != " ".join(phrase.lower().split()) or not phrase:
            raise ConfigError(f"{name}: phrase {phrase!r} must be lowercase, single-spaced")
    if lexicon.pace_wpm is not None and not 0 < lexicon.pace_wpm[0] < lexicon.pace_wpm[1]:
        raise ConfigError(f"{name}: pace_wpm must be [slowest, fastest]")


LEXICONS: dict[str, Lexicon] = load_lexicons()
ENGLISH = LEXICONS[DEFAULT_LANGUAGE]


def primary_language(language: str) -> str:
    """The primary subtag of a language code: "pt-BR" and "pt_br" -> "pt"."""
    return language.strip().lower().replace("_", "-").split("-")[0]


def lexicon_for(language: str) -> Lexicon:
    """The word lists for a language ("en", "en-GB" -> "en"), English where none exist yet."""
    return LEXICONS.get(primary_language(language), ENGLISH)
