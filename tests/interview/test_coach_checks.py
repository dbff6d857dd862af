"""What a coach says first: each check of the offline coach on short answers written for it."""

from __future__ import annotations

import re

import msgspec

from server.interview.coach import OfflineCoach
from server.interview.lexicon import ENGLISH
from server.interview.rubric import analyse, question_category
from server.interview.types import FeedbackRequest, FeedbackResult
from tests.interview.test_rubric import metrics_of

_STORY_Q = "Tell me about a time you made a slow process faster."
_OPENING = (
    "Two years ago I joined a payments team where every release needed a full day of manual "
    "checks, and my job was to make releasing safe without that day. I wrote a checklist of the "
    "checks, automated the twelve slowest ones in our pipeline and ran both side by side for a "
    "month so the team could trust the new tests. "
)


def _feedback(question: str, answer: str) -> FeedbackResult:
    metrics = msgspec.to_builtins(metrics_of(answer, wpm=150.0))
    request = FeedbackRequest(
        question=question, role="general", language="en", transcript=answer, metrics=metrics
    )
    return OfflineCoach().compose(request)[1]


def _first_advice(text: str) -> str:
    """The first sentence after the "What to improve" heading."""
    after = text.split("What to improve: ", 1)[1]
    return re.split(r"(?<=[.;])\s", after, maxsplit=1)[0]


def test_a_before_and_after_counts_as_a_result() -> None:
    answer = _OPENING + "Releases now take twenty minutes instead of a whole day."
    result = _feedback(_STORY_Q, answer)
    assert result.scores.result >= 4
    assert "did not say how it ended" not in result.text


def test_a_change_from_one_figure_to_another_counts_as_a_result() -> None:
    answer = _OPENING + "Failed releases dropped from six a month to zero by the end."
    assert _feedback(_STORY_Q, answer).scores.result >= 4


def test_a_far_too_short_answer_is_told_so_first() -> None:
    result = _feedback(_STORY_Q, "I sped up our tests once. It worked out well.")
    assert "far too short" in _first_advice(result.text)
    assert result.overall <= 35


def test_hedges_are_quoted_with_their_counts() -> None:
    answer = _OPENING.replace("I wrote", "I think I maybe wrote").replace(
        "automated", "I think automated"
    ) + ("I think it maybe helped, I think, and maybe the releases got quicker after that.")
    result = _feedback(_STORY_Q, answer)
    metrics = metrics_of(answer, wpm=150.0)
    assert metrics.hedges["i think"] == 4
    assert "“I think” (4)" in result.text
    assert f"“maybe” ({metrics.hedges['maybe']})" in result.text


def test_filler_counts_add_up_to_the_total() -> None:
    answer = (
        "So, um, I was, like, leading the release work, you know, and, um, it was, like, slow. "
        "Um, I, like, automated the checks, you know, and, like, um, releases got faster, "
        "you know, like, a lot faster, and the team was, um, happy with it in the end."
    )
    result = _feedback(_STORY_Q, answer)
    counts = [int(n) for n in re.findall(r"” \((\d+)\)", result.text)]
    assert counts, result.text
    assert sum(counts) == metrics_of(answer, wpm=150.0).filler_count


def test_an_answer_about_something_else_is_told_so_and_capped() -> None:
    question = "How do you prioritise when everything is urgent?"
    answer = (
        "Outside work I love hiking in the mountains and I go to two or three conferences a year, "
        "mostly about design. I also read a lot of novels and play the piano with friends on "
        "Sundays, which keeps me curious and relaxed."
    )
    result = _feedback(question, answer)
    assert "did not answer the question you were asked" in result.text
    assert result.overall <= 40


def test_a_story_that_answers_in_other_words_is_not_off_topic() -> None:
    answer = _OPENING + "Releases now take twenty minutes instead of a whole day."
    result = _feedback("Tell me about a time you made something quicker.", answer)
    assert "did not answer the question" not in result.text


def test_a_generic_answer_is_told_to_pick_one_real_time() -> None:
    answer = (
        "I always work hard and I am good with people. Whenever there is a problem I stay calm "
        "and I usually find a way through it, and colleagues tend to come to me for help with "
        "all sorts of things because they know I care about doing things properly."
    )
    question = "Tell me about a time you helped colleagues with a problem."
    assert "pick one specific time" in _feedback(question, answer).text


def test_a_run_on_answer_is_told_to_be_shorter() -> None:
    answer = (_OPENING.replace(". ", " and then ") * 2).rstrip(". ") + "."
    assert "ran long and loose" in _feedback(_STORY_Q, answer).text


def test_question_categories() -> None:
    assert question_category("Tell me about a time you failed.", ENGLISH) == "behavioural"
    assert question_category("What would you do if a launch slipped?", ENGLISH) == "situational"
    assert question_category("Your team is split. How would you decide?", ENGLISH) == "situational"
    assert question_category("What is your greatest weakness?", ENGLISH) == "opinion"


def test_a_plan_is_not_marked_down_for_lacking_a_past_result() -> None:
    question = "What would you do if two senior colleagues disagreed about a design?"
    answer = (
        "I would first talk to each of them on their own to understand what they are worried "
        "about, then I would write both options down with their costs and risks, and I would "
        "bring them together to agree on the criteria before choosing. If they still disagreed "
        "I would ask our lead to decide and make sure both felt heard."
    )
    assessment = analyse(question, answer, metrics_of(answer, wpm=150.0))
    assert assessment.scores.result >= 3
    assert assessment.scores.structure >= 3


def test_praise_is_absent_when_nothing_earned_it() -> None:
    result = _feedback(_STORY_Q, "Um, I guess it was, like, fine. We did some stuff.")
    assert "What went well" not in result.text


def test_an_answer_strung_on_with_and_is_told_to_be_shorter_whatever_the_full_stops() -> None:
    # A recogniser puts a full stop at every pause, so no sentence is long; the chain of
    # "And we…, And then…, So the…" still shows the run-on.
    clauses = [
        "And we had a big client from the north",
        "And the deadline was really tight",
        "And then the designs changed twice",
        "So we worked late most evenings",
        "And the tests broke on every build",
        "And we had meetings about the meetings",
        "And then a developer left for another job",
        "So the plan slipped by a week",
        "And we cut some of the features",
        "And the client was fine with it",
        "And then we got more work from them",
        "So it worked out in the end",
    ]
    answer = "So this was at my old job, a few years back. " + ". ".join(clauses) + "."
    result = _feedback(_STORY_Q, answer)
    assert analyse(_STORY_Q, answer, metrics_of(answer)).evidence.longest_sentence < 30
    assert "ran long and loose" in result.text
    assert "“and” (9) and “so” (4)" in result.text  # the opening "So this" too


def test_a_well_joined_story_is_not_called_a_run_on() -> None:
    answer = _OPENING + "As a result releases take twenty minutes, and the team ships daily."
    assert "ran long and loose" not in _feedback(_STORY_Q, answer).text


def test_a_far_too_short_story_is_told_which_parts_it_left_out() -> None:
    story = _feedback(_STORY_Q, "I cached the build and I split the tests. Builds got faster.")
    assert "far too short and left out the situation and your task" in story.text
    assert "did not clearly cover" not in story.text  # said once, not twice
    plan = _feedback(
        "What would you do if your builds were slow?", "I would cache the build and split tests."
    )
    assert "far too short;" in plan.text  # a plan is not a story: no parts to list
