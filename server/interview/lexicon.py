"""Word lists per language: fillers, hedges, STAR cue phrases and the words the rubric ignores.

Only English exists now. A new language is one more `Lexicon` in `LEXICONS`; the code that
uses these lists never names a word itself. Phrases are lowercase, space-separated tokens as
`metrics.tokenize` produces them (apostrophes kept: "i'm").
"""

from __future__ import annotations

from typing import Literal

import msgspec

Position = Literal["any", "set_off", "opener"]


class PhraseRule(msgspec.Struct, frozen=True):
    """When a filler or hedge phrase counts, so that "I like Python" is not a filler.

    - position "any": wherever it occurs.
    - "set_off": only at the start of a clause (answer start, after , . ? ! ; :), when a
      comma or the end of a sentence follows it, right after another filler, or, with
      `before_number`, before a number ("like 20 people").
    - "opener": only as the first word of the answer, or starting a sentence and followed by
      a comma ("So, ...").
    `not_after` words right before it, or `not_before` phrases right after it, cancel it when
    no punctuation stands between: "I like" is a verb, "we, like, wrote" a filler.
    """

    position: Position = "any"
    not_after: frozenset[str] = frozenset()
    not_before: frozenset[str] = frozenset()
    before_number: bool = False


class Lexicon(msgspec.Struct, frozen=True, kw_only=True):
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
    # Past-tense verbs that do not end in "-ed", and past forms that are not actions.
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


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _phrases(text: str) -> tuple[str, ...]:
    """Phrases separated by "|"."""
    return tuple(" ".join(p.split()) for p in text.split("|") if p.strip())


_DETERMINERS = _words(
    """a an the this that these those what which some any every each one no same other another
    different similar my our your their his her its whatever certain particular right wrong
    first new best main"""
)
_PRONOUNS_AND_AUXILIARIES = _words(
    """i we you they he she i'd we'd you'd they'd would should might will may can could do did
    does don't didn't doesn't not never always really also just to"""
)

ENGLISH = Lexicon(
    language="en",
    filler_sounds={
        r"u+m+|uhm+": "um",
        r"u+h+": "uh",
        r"e+r+m*": "er",
        r"a+h+": "ah",
        r"e+h+": "eh",
        r"h+m+|m{2,}|m+-?h+m+": "hmm",
    },
    fillers={
        "like": PhraseRule(
            position="set_off",
            before_number=True,
            not_after=_PRONOUNS_AND_AUXILIARIES
            | _words(
                """look looks looked looking seem seems seemed sound sounds sounded feel feels felt
                something anything nothing more less much exactly people things"""
            ),
            # "..., like a barber" is a simile; "..., like, a barber" (comma after) is a filler.
            not_before=frozenset(
                _phrases("i said | i mentioned | we discussed | i say | this | that | a | an | the")
            ),
        ),
        "you know what i mean": PhraseRule(),
        "you know": PhraseRule(
            position="set_off",
            not_after=_words("do did don't didn't if as what how whether would will might let to"),
            not_before=_words("what how that why who where when the about him her them it"),
        ),
        "i mean": PhraseRule(
            position="set_off",
            not_after=_words("what which that if"),
            not_before=_words("it that this to what well business"),
        ),
        "basically": PhraseRule(),
        "actually": PhraseRule(),
        "literally": PhraseRule(),
        "so yeah": PhraseRule(),
        "so": PhraseRule(position="opener"),
    },
    hedges={
        "i think": PhraseRule(not_before=_words("about of through")),
        "i guess": PhraseRule(),
        "i suppose": PhraseRule(),
        "i believe": PhraseRule(not_before=_words("in")),
        "i feel like": PhraseRule(),
        "i'm not sure": PhraseRule(),
        "i am not sure": PhraseRule(),
        "not sure": PhraseRule(),
        "i don't know": PhraseRule(
            not_before=_words("how what why where when who if whether the anything much")
        ),
        "i'd say": PhraseRule(),
        "i would say": PhraseRule(),
        "maybe": PhraseRule(),
        "perhaps": PhraseRule(),
        "probably": PhraseRule(),
        "possibly": PhraseRule(),
        "hopefully": PhraseRule(),
        "somewhat": PhraseRule(),
        "more or less": PhraseRule(),
        "sort of": PhraseRule(not_after=_DETERMINERS),
        "kind of": PhraseRule(not_after=_DETERMINERS),
    },
    function_words=_words(
        """a an the and or but so if then than as of in on at to for from by with about into
        over after before under between through during without within up down out off again
        also just very too is am are was were be been being have has had do does did will would
        shall should can could may might must i me my mine myself we us our ours you your yours
        he him his she her it its they them their this that these those there here what which
        who whom whose when where why how not no i'm i've i'd i'll we're we've we'd it's that's
        there's don't didn't doesn't isn't wasn't weren't won't can't couldn't"""
    ),
    question_words=_words(
        """tell describe give example walk share explain talk time times situation situations
        happened happen handle handled deal dealt approach exactly part next did do would could
        you your what how why when which someone something thing things one two"""
    ),
    number_words=_words(
        """two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
        sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety
        hundred hundreds thousand thousands million millions billion half twice double doubled
        triple tripled dozen dozens"""
    ),
    singular_self=_words("i i'm i've i'd i'll me my myself"),
    plural_self=_words("we we're we've we'd we'll us our ourselves"),
    irregular_past=_words(
        """built wrote led met spoke made took ran set sent brought got gave went chose began
        found told drove sat put kept held paid bought sold taught caught fought won rewrote
        rebuilt split cut shut read"""
    ),
    not_actions=_words("needed wanted hoped liked loved hated learned learnt used supposed"),
    conditional_self=frozenset(_phrases("i would | i'd | i will | i'll")),
    allowed_doubles=_words("had that"),
    situation_cues=_phrases(
        """when i was | when i worked | while i was | at my last | at my previous |
        at my current | in my last | in my previous | in my current | in my role | last year |
        this year | years ago | months ago | back in | at the time | the situation |
        the context | the background | we were working on | i was working | i was leading |
        i was part of | our team was | there was a | we had a | one time | in that situation |
        in that case | if this happened | assuming"""
    ),
    task_cues=_phrases(
        """my task | my job was | my role was | my goal | the goal was | our goal |
        i was responsible | i was asked | i was tasked | i needed to | i had to | we needed to |
        we had to | the challenge was | the problem was | the issue was | i was in charge |
        my responsibility | the aim was | the objective | my priority | the priority |
        i wanted to make sure | i'd need to | i would need to"""
    ),
    action_cues=_phrases(
        """so i | first i | then i | i started by | i began by | my first step |
        the first thing i | i decided | i would start | i'd start | i would first"""
    ),
    result_cues=_phrases(
        """as a result | in the end | the result | the outcome | ended up | which meant |
        this meant | that meant | led to | resulted in | resulting in | managed to | the impact |
        went from | went down | went up | on time | so that | reduced | increased | improved |
        saved | doubled | halved | shipped | launched | delivered | grew | dropped | fixed |
        solved | success would | i would measure"""
    ),
    reflection_cues=_phrases(
        """i learned | i learnt | learned that | lesson | next time | in hindsight |
        looking back | if i did it again | differently | since then | now i always | taught me |
        i realized | i realised"""
    ),
    related_words=(
        ("conflict", "disagree", "disagreement", "argument", "tension", "clash"),
        ("fail", "failure", "mistake", "wrong", "error", "broke", "problem"),
        ("lead", "leader", "leadership", "led"),
        ("customer", "client", "user"),
        ("deadline", "late", "schedule", "timeline", "date", "behind"),
        ("prioritise", "prioritize", "priority", "priorities", "urgent", "tradeoff"),
        ("colleague", "coworker", "teammate", "peer", "engineer", "manager"),
        ("feedback", "criticism", "critique", "review"),
        ("team", "group", "squad"),
        ("data", "dataset", "analysis", "metric", "numbers"),
        ("learn", "learnt", "study"),
        ("explain", "presentation", "present", "communicate"),
    ),
)

LEXICONS: dict[str, Lexicon] = {"en": ENGLISH}
DEFAULT_LANGUAGE = "en"


def lexicon_for(language: str) -> Lexicon:
    """The word lists for a language ("en", "en-GB" -> "en"), English where none exist yet."""
    primary = language.lower().replace("_", "-").split("-")[0]
    return LEXICONS.get(primary, LEXICONS[DEFAULT_LANGUAGE])
