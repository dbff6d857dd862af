"""The rubric on answers written for these tests (inputs, not model output)."""

from __future__ import annotations

import pytest

from server.interview.metrics import DeliveryMetrics, compute_metrics, words_from_text
from server.interview.rubric import (
    RUBRIC_VERSION,
    WEIGHTS,
    analyse,
    assess,
    delivery_problems,
    overall_score,
)
from server.interview.types import Scores

CONFLICT_Q = "Tell me about a time you had a conflict with a coworker."
PLAN_Q = (
    "Tell me about a time something you were responsible for did not go to plan. "
    "What happened, and what did you do next?"
)
TEAMMATE_Q = (
    "Imagine a teammate keeps missing commitments that your work depends on. What would you do?"
)

STAR = (
    "Last year at Acme I was the lead engineer on our billing service. The problem was that a "
    "coworker and I disagreed about whether to rewrite the payment retry logic. My task was to "
    "get us to a decision before the Q3 release. So I wrote a one-page comparison of both "
    "options and I scheduled a thirty minute meeting with Priya and our manager. I proposed we "
    "test both approaches on a week of real traffic. As a result, we picked her design, failed "
    "payments dropped by 18 percent and we shipped two weeks early. I learned that data settles "
    "arguments faster than opinions."
)
NO_RESULT = (
    "At my previous company I was responsible for moving our reporting jobs to a new scheduler. "
    "The problem was that the old jobs had no documentation and nobody knew which ones still "
    "mattered. My task was to move all of them within one quarter. I started by listing every "
    "job and I interviewed the analysts who used the reports. Then I grouped the jobs by owner "
    "and I wrote a checklist for each group. I also set up a shared dashboard where everyone "
    "could see which jobs were moved."
)
# 22 fillers: um 7, uh 5, like 4, you know 2, basically 2, so 1, i mean 1; hedges 4.
FILLERS = (
    "So, um, at my last job we had, like, a really big outage, you know. Um, and I was, uh, "
    "kind of the person on call. So I, um, basically looked at the logs and, uh, I mean, it was, "
    "like, a database thing. And, um, I called, uh, my manager and, like, we kind of rolled it "
    "back, you know. Um, it was, uh, fine in the end, I guess. Basically we, um, we fixed it "
    "and, uh, I think we, like, wrote a post-mortem. Um, yeah."
)
SITUATIONAL = (
    "In that situation I would first talk to my teammate in private to understand what is "
    "getting in the way. My goal would be to find out whether the commitments were realistic "
    "in the first place. I would offer to help split the work into smaller pieces and I'd agree "
    "on a date to check in. If nothing changed, I would raise it with our manager so that the "
    "team could plan again. Success would be that the team meets its commitments again within "
    "two sprints."
)
OUT_OF_ORDER = (
    "As a result, our cloud bill went down by 30 percent. That was last year, when I was at "
    "Acme. The problem was that nobody owned the bill. I decided to tag every server by team and "
    "I sent each team a weekly report with its own costs and the names of its biggest servers."
)
SHORT = "It went fine."


def metrics_of(transcript: str, wpm: float = 140.0) -> DeliveryMetrics:
    words = words_from_text(transcript, words_per_minute=wpm)
    return compute_metrics(words, duration_s=words[-1].end_s if words else 0.0)


def scores_of(question: str, transcript: str, wpm: float = 140.0) -> Scores:
    return assess(question, transcript, metrics_of(transcript, wpm))


def test_full_star_answer_with_numbers_scores_high() -> None:
    assessment = analyse(CONFLICT_Q, STAR, metrics_of(STAR))
    scores, evidence = assessment.scores, assessment.evidence
    assert scores.structure == 5 and scores.result == 5
    assert scores.relevance >= 4 and scores.specificity >= 4
    assert evidence.star_parts == ["situation", "task", "action", "result"]
    assert evidence.star_in_order and evidence.quantified_result and evidence.reflection
    assert evidence.result_quote is not None and "18 percent" in evidence.result_quote
    assert {"Acme", "Priya", "Q3", "18"} <= set(evidence.details)
    assert evidence.matched_terms == ["conflict", "coworker"]


def test_answer_without_a_result_scores_low_on_result() -> None:
    assessment = analyse(PLAN_Q, NO_RESULT, metrics_of(NO_RESULT))
    assert assessment.scores.result == 1
    assert assessment.evidence.missing_parts == ["result"]
    assert assessment.scores.structure == 4
    assert assessment.scores.result < scores_of(CONFLICT_Q, STAR).result


def test_answer_full_of_fillers_scores_low_on_delivery() -> None:
    metrics = metrics_of(FILLERS)
    fillers = {"um": 7, "uh": 5, "like": 4, "you know": 2, "basically": 2, "so": 1, "i mean": 1}
    assert metrics.fillers == dict(sorted(fillers.items()))
    assert metrics.filler_count == 22
    assert metrics.hedges == {"i guess": 1, "i think": 1, "kind of": 2}
    assert assess(CONFLICT_Q, FILLERS, metrics).delivery <= 2
    assert next(iter(delivery_problems(metrics))) == "fillers"


def test_situational_answer_counts_planned_actions() -> None:
    assessment = analyse(TEAMMATE_Q, SITUATIONAL, metrics_of(SITUATIONAL))
    assert assessment.evidence.star_parts == ["situation", "task", "action", "result"]
    assert assessment.evidence.i_actions >= 3
    assert assessment.scores.structure >= 4
    assert assessment.scores.relevance >= 4


def test_parts_out_of_order_cost_a_structure_point() -> None:
    assessment = analyse(PLAN_Q, OUT_OF_ORDER, metrics_of(OUT_OF_ORDER))
    assert len(assessment.evidence.star_parts) == 4
    assert not assessment.evidence.star_in_order
    assert assessment.scores.structure == 4


def test_saying_what_i_did_is_more_specific_than_what_we_did() -> None:
    mine = (
        "At my last job our checkout page was slow. I measured the load time, I found three "
        "heavy scripts, I removed two of them and I moved the third behind a button. As a "
        "result, the load time dropped from 6 seconds to 2."
    )
    ours = mine.replace("I measured", "we measured").replace("I ", "we ").replace("my", "our")
    assert scores_of(PLAN_Q, mine).specificity > scores_of(PLAN_Q, ours).specificity


@pytest.mark.parametrize(
    ("question", "transcript", "low", "high"),
    [(CONFLICT_Q, NO_RESULT, 1, 2), (PLAN_Q, NO_RESULT, 4, 5), (CONFLICT_Q, STAR, 4, 5)],
)
def test_relevance_follows_the_question(
    question: str, transcript: str, low: int, high: int
) -> None:
    assert low <= scores_of(question, transcript).relevance <= high


def test_a_few_words_score_low_everywhere() -> None:
    scores = scores_of(CONFLICT_Q, SHORT)
    assert max(scores.structure, scores.relevance, scores.result) == 1
    assert overall_score(scores) < 20


def test_empty_answer_scores_the_minimum() -> None:
    scores = scores_of(CONFLICT_Q, "")
    assert scores == Scores(1, 1, 1, 1, 1)
    assert overall_score(scores) == 0


@pytest.mark.parametrize(("wpm", "worse"), [(200.0, True), (90.0, True), (140.0, False)])
def test_pace_outside_the_range_costs_delivery(wpm: float, worse: bool) -> None:
    long_story = " ".join([STAR] * 2)  # about 90 s at 140 words a minute: a good length
    at_ease = scores_of(CONFLICT_Q, long_story, 140.0).delivery
    assert at_ease == 5
    assert (scores_of(CONFLICT_Q, long_story, wpm).delivery < at_ease) is worse


@pytest.mark.parametrize(
    ("scores", "overall"),
    [
        (Scores(1, 1, 1, 1, 1), 0),
        (Scores(5, 5, 5, 5, 5), 100),
        (Scores(3, 3, 3, 3, 3), 50),
        (Scores(5, 1, 1, 1, 1), 25),
        (Scores(1, 5, 1, 1, 1), 15),
        (Scores(4, 4, 3, 2, 5), 65),
    ],
)
def test_overall_score_weighting(scores: Scores, overall: int) -> None:
    assert overall_score(scores) == overall


@pytest.mark.parametrize("bad", [0, 6])
def test_overall_score_rejects_out_of_range(bad: int) -> None:
    with pytest.raises(ValueError, match="1-5"):
        overall_score(Scores(3, 3, bad, 3, 3))


def test_weights_and_version() -> None:
    assert sum(WEIGHTS.values()) == 100
    assert set(WEIGHTS) == set(Scores.__struct_fields__)
    assert RUBRIC_VERSION.strip()


def test_assessment_is_deterministic() -> None:
    assert analyse(CONFLICT_Q, FILLERS, metrics_of(FILLERS)) == analyse(
        CONFLICT_Q, FILLERS, metrics_of(FILLERS)
    )


@pytest.mark.parametrize(
    ("transcript", "longest"),
    [
        # A recogniser's full stop at each pause inside one run-on sentence: one sentence.
        ("So we started. and then the client called. and we stopped. Then I left.", 11),
        ("So we started. And then the client called. Then I left.", 5),
        # A new sentence the recogniser did not capitalise still ends the one before.
        ("So we started. and then the client called. it was late.", 8),
    ],
)
def test_a_full_stop_before_a_lowercase_and_does_not_end_the_sentence(
    transcript: str, longest: int
) -> None:
    evidence = analyse("Tell me about a delay.", transcript, metrics_of(transcript)).evidence
    assert evidence.longest_sentence == longest


def test_a_result_number_just_after_a_pause_still_quantifies_it() -> None:
    # A recogniser's full stop at a pause split the result from its figure.
    split = NO_RESULT + " In the end we moved every job. about forty of them in six weeks."
    evidence = analyse(PLAN_Q, split, metrics_of(split)).evidence
    assert evidence.quantified_result
    assert evidence.result_quote is not None and "forty" in evidence.result_quote
    # A number further on, in another sentence, is not the result's.
    later = NO_RESULT + " In the end we moved every job. The analysts were happy. It took 6 weeks."
    assert not analyse(PLAN_Q, later, metrics_of(later)).evidence.quantified_result


def test_a_result_number_just_before_a_pause_still_quantifies_it() -> None:
    # The figure came first; the piece with the result's words goes on from it in lowercase.
    split = (
        NO_RESULT
        + " We moved 140 jobs. and 98 percent. on the first try. and the analysts became happier."
    )
    evidence = analyse(PLAN_Q, split, metrics_of(split)).evidence
    assert evidence.quantified_result
    assert evidence.result_quote is not None and "98" in evidence.result_quote
    # A figure in the sentence before a new one (capitalised) is not the result's.
    apart = NO_RESULT + " We moved 140 jobs. The analysts became happier."
    evidence = analyse(PLAN_Q, apart, metrics_of(apart)).evidence
    assert evidence.result_quote is not None and not evidence.quantified_result


@pytest.mark.parametrize(
    ("opening", "has_situation"),
    [
        ("Our nightly builds were taking too long, often five hours. ", True),
        ("The team was struggling with flaky tests. ", True),
        ("", False),
    ],
)
def test_a_problem_stated_sets_the_scene(opening: str, has_situation: bool) -> None:
    answer = opening + "I split the builds by package and I cached the dependencies."
    evidence = analyse(PLAN_Q, answer, metrics_of(answer)).evidence
    assert ("situation" in evidence.star_parts) is has_situation


def test_clauses_strung_on_with_and_are_counted_per_word() -> None:
    answer = (
        "We had a launch. and the client called. and we changed the plan. so the team worked "
        "late. and then we shipped. and we were tired but the client paid."
    )
    evidence = analyse(PLAN_Q, answer, metrics_of(answer)).evidence
    # "and the", "and we" (2), "so the", "and then": "but the" too; "and tired" is no clause.
    assert evidence.chained_clauses == {"and": 4, "so": 1, "but": 1}


def test_a_story_in_other_words_than_the_question_keeps_some_relevance() -> None:
    question = "Tell me about a time you exceeded a target."
    story = (
        "In my first year in sales I rebuilt my prospect list and I booked demos with a short "
        "video instead of cold calls. I closed far more business than planned and became the "
        "top new seller that year, which my manager told the whole sales floor about."
    )
    no_result = "In my first year in sales I rebuilt my prospect list and I booked demos."
    no_result += " I called every lead twice and I kept notes on each call for my manager, and"
    no_result += " I asked the product team for better slides for the smaller customers."
    assert scores_of(question, story).relevance == 3
    assert scores_of(question, no_result).relevance == 2


@pytest.mark.parametrize(
    ("answer", "actions"),
    [
        ("I rolled back the deploy and posted updates every hour.", 2),
        # A recogniser's full stop at the pause does not change whose action it is.
        ("I put a lock around the write. and added a regression test.", 2),
        ("I asked Sam, who checked the logs and fixed the index.", 1),
        ("I asked the team and we moved the meeting and cancelled the demo.", 1),
    ],
)
def test_actions_joined_with_and_are_the_speakers_only_after_i(answer: str, actions: int) -> None:
    assert analyse(PLAN_Q, answer, metrics_of(answer)).evidence.i_actions == actions
