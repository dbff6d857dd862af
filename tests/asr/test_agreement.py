"""LocalAgreement-2: table-driven cases and the never-retract invariant."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.asr.agreement import Caption, LocalAgreement, overlap_length

# Each case: the hypotheses fed in order, and the (text, stable) caption expected after each.
CASES: dict[str, tuple[list[str], list[tuple[str, str]]]] = {
    "first hypothesis commits nothing": (
        ["hello world"],
        [("hello world", "")],
    ),
    "two equal hypotheses commit all": (
        ["hello world", "hello world"],
        [("hello world", ""), ("hello world", "hello world")],
    ),
    "growing audio commits the shared prefix": (
        ["and so", "and so my fellow", "and so my fellow americans ask"],
        [
            ("and so", ""),
            ("and so my fellow", "and so"),
            ("and so my fellow americans ask", "and so my fellow"),
        ],
    ),
    "case and punctuation do not break agreement": (
        ["And so, my", "and so my fellow"],
        [("And so, my", ""), ("and so my fellow", "and so my")],
    ),
    "a changed early word delays the commit": (
        ["I scream", "ice cream is", "ice cream is good"],
        [("I scream", ""), ("ice cream is", ""), ("ice cream is good", "ice cream is")],
    ),
    "a later hypothesis rewriting committed words keeps them": (
        ["the cat sat", "the cat sits", "a cat sits on"],
        [("the cat sat", ""), ("the cat sits", "the cat"), ("the cat sits on", "the cat sits")],
    ),
    "an inserted word before committed ones is aligned away": (
        ["the cat", "the cat", "oh the cat sat", "oh the cat sat down"],
        [
            ("the cat", ""),
            ("the cat", "the cat"),
            ("the cat sat", "the cat"),
            ("the cat sat down", "the cat sat"),
        ],
    ),
    "a dropped committed word is aligned away": (
        ["the big cat", "the big cat", "the cat sat"],
        [("the big cat", ""), ("the big cat", "the big cat"), ("the big cat sat", "the big cat")],
    ),
    "a shorter hypothesis keeps the committed words": (
        ["one two three", "one two three", "one"],
        [
            ("one two three", ""),
            ("one two three", "one two three"),
            ("one two three", "one two three"),
        ],
    ),
    "an empty hypothesis keeps the committed words": (
        ["yes we can", "yes we", "", "yes we can do it"],
        [
            ("yes we can", ""),
            ("yes we", "yes we"),
            ("yes we", "yes we"),
            ("yes we can do it", "yes we"),
        ],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_local_agreement_table(name: str) -> None:
    hypotheses, expected = CASES[name]
    agreement = LocalAgreement()
    captions = [agreement.update(h) for h in hypotheses]
    assert captions == [Caption(text=text, stable=stable) for text, stable in expected]
    assert agreement.stable == expected[-1][1]


def test_reset_starts_a_new_utterance() -> None:
    agreement = LocalAgreement()
    agreement.update("good morning")
    agreement.update("good morning everyone")
    assert agreement.stable == "good morning"
    agreement.reset()
    assert agreement.stable == ""
    assert agreement.update("next question") == Caption(text="next question", stable="")


_words = st.sampled_from(["the", "The", "cat", "cat,", "sat", "on", "mat.", "a", "-", "Mat"])


@given(st.lists(st.lists(_words, max_size=8).map(" ".join), max_size=12))
def test_stable_is_a_prefix_of_text_and_never_retracted(hypotheses: list[str]) -> None:
    agreement = LocalAgreement()
    previous_stable = ""
    for hypothesis in hypotheses:
        caption = agreement.update(hypothesis)
        assert caption.text.startswith(caption.stable)
        assert caption.stable.startswith(previous_stable)
        assert caption.stable == agreement.stable
        previous_stable = caption.stable


@pytest.mark.parametrize(
    ("carried", "hypothesis", "expected"),
    [
        ("in relief for centuries before the", "centuries before the woodcutters", 3),
        ("in relief for centuries before the", "the woodcutters of", 1),
        ("in relief for", "centuries before the", 0),
        ("Relief, for", "relief for ever", 2),
        ("", "anything at all", 0),
        ("a b c", "", 0),
    ],
)
def test_overlap_length_finds_words_already_shown_before_a_cut(
    carried: str, hypothesis: str, expected: int
) -> None:
    assert overlap_length(carried.split(), hypothesis.split()) == expected
