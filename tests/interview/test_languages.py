"""Languages: the Spanish and Portuguese question banks, every language's word lists, and pace.

Transcripts here are written for these tests (inputs, not model output).
"""

from __future__ import annotations

import json
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any

import msgspec
import pytest

from benchmarks.speech import Clip
from server.errors import ConfigError
from server.interview.lexicon import LEXICONS, lexicon_for
from server.interview.metrics import (
    DeliveryMetrics,
    compute_metrics,
    tokenize,
    usual_pace,
    words_from_text,
)
from server.interview.questions import GENERAL_ROLE, QuestionBank
from server.interview.rubric import delivery_problems
from tests.speech import needs_shared_set

TRANSLATED = ["es", "pt"]


@pytest.fixture(scope="module")
def bank() -> QuestionBank:
    return QuestionBank.load()


def _metrics(text: str, language: str, wpm: float = 140.0, **kwargs: Any) -> DeliveryMetrics:
    words = words_from_text(text, words_per_minute=wpm)
    return compute_metrics(words, duration_s=60.0, language=language, **kwargs)


# The question bank ------------------------------------------------------------------------


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_translated_bank_pairs_every_english_question(bank: QuestionBank, language: str) -> None:
    english = {q.id: q for q in bank.questions(None, "en")}
    translated = bank.questions(None, language)
    assert [q.id for q in translated] == list(english)
    for question in translated:
        source = english[question.id]
        assert question.language == language
        assert (question.roles, question.category, question.competencies) == (
            source.roles,
            source.category,
            source.competencies,
        )
        assert question.text.strip() and question.text != source.text


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_role_has_enough_questions_in_each_language(
    bank: QuestionBank, language: str
) -> None:
    for role in bank.roles(language):
        own = [q for q in bank.questions(role.id, language) if GENERAL_ROLE not in q.roles]
        assert len(bank.questions(role.id, language)) >= 8
        assert role.id == GENERAL_ROLE or len(own) >= 8, role.id


@pytest.mark.parametrize("language", TRANSLATED)
def test_translated_questions_are_written_in_their_language(
    bank: QuestionBank, language: str
) -> None:
    """Each question uses more of its language's common words than of English's."""
    own, english = lexicon_for(language).function_words, lexicon_for("en").function_words
    for question in bank.questions(None, language):
        words = [t.text for t in tokenize(question.text)]
        assert sum(w in own for w in words) > sum(w in english for w in words), question.text


@pytest.mark.parametrize(("regional", "language"), [("pt-BR", "pt"), ("es_MX", "es"), ("PT", "pt")])
def test_regional_codes_reach_the_language(
    bank: QuestionBank, regional: str, language: str
) -> None:
    assert bank.questions("designer", regional) == bank.questions("designer", language)
    first = bank.questions(None, language)[0]
    assert bank.get(first.id, regional) == first
    assert bank.pick(None, regional, exclude=[]).language == language


def _bank_with_spanish(tmp_path: Path, entries: list[dict[str, Any]]) -> Path:
    source = resources.files("server.interview") / "data"
    data = tmp_path / "data"
    data.mkdir()
    for entry in source.iterdir():
        if entry.name.endswith(".json"):
            (data / entry.name).write_bytes(entry.read_bytes())
    (data / "questions.es.json").write_text(json.dumps({"language": "es", "questions": entries}))
    return data


def test_a_translation_takes_its_metadata_from_english(tmp_path: Path) -> None:
    data = _bank_with_spanish(tmp_path, [{"id": "gen-failure-01", "text": "¿Qué pasó?"}])
    question = QuestionBank.load(data).get("gen-failure-01", "es")
    english = QuestionBank.load(data).get("gen-failure-01", "en")
    assert question is not None and english is not None
    assert (question.text, question.roles, question.category) == (
        "¿Qué pasó?",
        english.roles,
        english.category,
    )


@pytest.mark.parametrize(
    "entry",
    [
        {"id": "no-such-question-01", "text": "¿Qué pasó?"},
        {"id": "gen-failure-01", "text": "¿Qué pasó?", "roles": ["designer"]},
        {"id": "gen-failure-01", "text": "¿Qué pasó?", "category": "situational"},
        {"id": "gen-failure-01", "text": "  "},
    ],
)
def test_a_translation_that_does_not_pair_with_english_fails_at_load(
    tmp_path: Path, entry: dict[str, Any]
) -> None:
    with pytest.raises(ConfigError):
        QuestionBank.load(_bank_with_spanish(tmp_path, [entry]))


# Fillers and hedges ------------------------------------------------------------------------


def test_every_language_has_its_word_lists() -> None:
    assert set(LEXICONS) == {"en", "es", "pt", "fr", "de", "it"}
    assert lexicon_for("pt-BR").language == "pt"
    assert lexicon_for("nl").language == "en"  # no lists yet: English ones


@pytest.mark.parametrize(
    ("language", "text", "fillers"),
    [
        # Spanish: "este" is a demonstrative unless a pause follows it.
        ("es", "Este proyecto fue difícil y este es el resultado.", {}),
        ("es", "Y este, pues, no sabíamos qué hacer.", {"este": 1, "pues": 1}),
        (
            "es",
            "Eh, bueno, o sea, el sistema se caía, ¿sabes?",
            {"eh": 1, "bueno": 1, "o sea": 1, "sabes": 1},
        ),
        ("es", "Fue bueno para el equipo y el equipo es bueno.", {}),
        ("es", "Bueno pues lo que hice fue hablar con ella.", {"bueno pues": 1}),
        ("es", "Lo dejamos, así pues lo hicimos otro día.", {}),
        ("es", "Ese tipo de problema es común.", {}),
        ("es", "Era tipo, súper difícil, y tardó tipo 20 minutos.", {"tipo": 2}),
        ("es", "Entonces, decidí cambiarlo. Y entonces lo cambiamos.", {"entonces": 1}),
        ("es", "Mmm, em, ehh, ahh.", {"mmm": 1, "em": 1, "eh": 1, "ah": 1}),
        ("es", "Y nada, al final salió bien. No había nada más.", {"y nada": 1}),
        # Portuguese: "é" is the verb, "um" and "em" are words, "tipo" a noun.
        ("pt", "Um grupo de crianças está andando em um rio.", {}),
        ("pt", "É importante dizer que o problema é antigo.", {}),
        ("pt", "Foi, é, difícil. É, eu sei.", {"é": 2}),
        ("pt", "Esse tipo de problema é comum, um tipo de erro.", {}),
        ("pt", "Era tipo, muito difícil, e levou tipo 20 minutos.", {"tipo": 2}),
        ("pt", "Tipo assim, a gente não sabia, né?", {"tipo assim": 1, "né": 1}),
        ("pt", "Assim, decidimos mudar. Foi assim, muito rápido.", {}),
        ("pt", "Ele era, assim, muito bom.", {"assim": 1}),
        ("pt", "Bom, comecei pelos logs. Foi bom para a equipe.", {"bom": 1}),
        ("pt", "Sabe, foi difícil. Ele sabe fazer isso.", {"sabe": 1}),
        ("pt", "O que isso quer dizer é simples. Quer dizer, foi difícil.", {"quer dizer": 1}),
        ("pt", "Éé, hum, ãh.", {"é": 1, "hum": 1, "ãh": 1}),
        # French, German, Italian: the common ones, and their look-alikes.
        (
            "fr",
            "Euh, en fait, on a, genre, tout refait, quoi.",
            {"euh": 1, "en fait": 1, "genre": 1, "quoi": 1},
        ),
        ("fr", "Ce genre de problème, je ne sais pas de quoi il vient.", {}),
        (
            "de",
            "Also, wir haben das, ähm, halt sozusagen neu gebaut.",
            {"ähm": 1, "also": 1, "halt": 1, "sozusagen": 1},
        ),
        ("de", "Um zehn Uhr haben wir das Problem gefunden.", {}),
        ("it", "Ehm, cioè, abbiamo, tipo, rifatto tutto.", {"ehm": 1, "cioè": 1, "tipo": 1}),
        ("it", "Questo tipo di errore capita spesso.", {}),
    ],
)
def test_fillers_in_each_language(language: str, text: str, fillers: dict[str, int]) -> None:
    metrics = _metrics(text, language)
    assert metrics.language == language
    assert metrics.fillers == dict(sorted(fillers.items()))


@pytest.mark.parametrize(
    ("language", "text", "hedges"),
    [
        (
            "es",
            "Creo que funcionó, quizás por suerte. No sé cómo explicarlo.",
            {"creo que": 1, "quizás": 1},
        ),
        (
            "es",
            "A lo mejor tal vez salió bien, creo. No estoy segura.",
            {"a lo mejor": 1, "tal vez": 1, "creo": 1, "no estoy segura": 1},
        ),
        ("es", "Creo en las pruebas automáticas.", {}),
        (
            "pt",
            "Acho que funcionou, talvez. Não sei como explicar. Não sei.",
            {"acho que": 1, "talvez": 1, "não sei": 1},
        ),
        ("pt", "A gente meio que resolveu, eu acho.", {"meio que": 1, "eu acho": 1}),
        ("fr", "Je pense que c'était peut-être une erreur.", {"je pense": 1, "peut-être": 1}),
        ("de", "Ich glaube, es war vielleicht ein Fehler.", {"ich glaube": 1, "vielleicht": 1}),
        ("it", "Penso che forse fosse un errore.", {"penso che": 1, "forse": 1}),
    ],
)
def test_hedges_in_each_language(language: str, text: str, hedges: dict[str, int]) -> None:
    assert _metrics(text, language).hedges == dict(sorted(hedges.items()))


def test_real_reference_transcripts_have_no_fillers(manifest: list[Clip]) -> None:
    """Ordinary sentences read by real speakers (pt "um rio", de "Raum") count nothing."""
    needs_shared_set("reference transcripts in Portuguese, French, German and Italian")
    clips = [c for c in manifest if c.language in LEXICONS and c.language != "en"]
    assert {c.language for c in clips} >= {"pt", "fr", "de", "it"}
    for clip in clips:
        metrics = _metrics(clip.text, clip.language)
        assert (metrics.filler_count, metrics.hedge_count) == (0, 0), clip.audio


SPANISH_FILLERS = (
    "Eh, bueno, en mi último trabajo tuvimos, o sea, una caída bastante grande, ¿sabes? Eh, y yo "
    "estaba, este, de guardia. Pues, miré los logs y, eh, o sea, era un problema de la base de "
    "datos. Y, eh, llamé a mi jefe y, bueno, como que hicimos marcha atrás, ¿sabes? Eh, al final "
    "salió bien, creo. Y nada, lo arreglamos y, eh, creo que escribimos un informe."
)
PORTUGUESE_FILLERS = (
    "Então, é, no meu último emprego a gente teve, tipo, uma queda bem grande, né? E eu estava, "
    "é, de plantão. Aí eu, hum, olhei os logs e, tipo, era um problema no banco de dados, sabe? "
    "E, hum, liguei para o meu gestor e, tipo assim, a gente meio que voltou a versão, né? No fim "
    "deu certo, acho. Enfim, a gente corrigiu e, é, acho que escrevemos um relatório."
)


@pytest.mark.parametrize(
    ("language", "text", "fillers", "hedges"),
    [
        (
            "es",
            SPANISH_FILLERS,
            {
                "eh": 6,
                "o sea": 2,
                "bueno": 2,
                "sabes": 2,
                "este": 1,
                "pues": 1,
                "como que": 1,
                "y nada": 1,
            },
            {"creo": 1, "creo que": 1},
        ),
        (
            "pt",
            PORTUGUESE_FILLERS,
            {
                "é": 3,
                "tipo": 2,
                "né": 2,
                "hum": 2,
                "então": 1,
                "tipo assim": 1,
                "sabe": 1,
                "enfim": 1,
            },
            {"meio que": 1, "acho": 1, "acho que": 1},
        ),
    ],
)
def test_an_answer_full_of_fillers_is_counted_and_costs_delivery(
    language: str, text: str, fillers: dict[str, int], hedges: dict[str, int]
) -> None:
    metrics = _metrics(text, language)
    assert metrics.fillers == dict(sorted(fillers.items()))
    assert metrics.filler_count == sum(fillers.values())
    assert metrics.hedges == dict(sorted(hedges.items()))
    assert next(iter(delivery_problems(metrics))) == "fillers"


# Pace ---------------------------------------------------------------------------------------

LONG = " ".join(["palabra"] * 300)


def test_english_pace_is_judged_against_its_band() -> None:
    metrics = _metrics(" ".join(["word"] * 300), "en", wpm=175.0, baseline_wpm=175.0)
    assert (metrics.pace, metrics.pace_basis) == ("fast", "norm")
    assert (metrics.pace_min_wpm, metrics.pace_max_wpm) == (120.0, 160.0)
    assert metrics.baseline_wpm is None


def test_a_language_without_a_band_has_no_pace_until_there_is_a_baseline() -> None:
    metrics = _metrics(LONG, "es", wpm=220.0)
    assert (metrics.pace, metrics.pace_basis) == ("unknown", "none")
    assert "pace_fast" not in delivery_problems(metrics)


@pytest.mark.parametrize(
    ("wpm", "pace"), [(100.0, "slow"), (140.0, "ok"), (160.0, "ok"), (180.0, "fast")]
)
def test_a_language_without_a_band_is_judged_against_the_speaker_s_usual_pace(
    wpm: float, pace: str
) -> None:
    metrics = _metrics(LONG, "es", wpm=wpm, baseline_wpm=140.0)
    assert (metrics.pace, metrics.pace_basis, metrics.baseline_wpm) == (pace, "personal", 140.0)
    assert (metrics.pace_min_wpm, metrics.pace_max_wpm) == (112.0, 168.0)


def test_far_off_the_usual_pace_costs_two_points() -> None:
    near = delivery_problems(_metrics(LONG, "pt", wpm=180.0, baseline_wpm=140.0))
    far = delivery_problems(_metrics(LONG, "pt", wpm=220.0, baseline_wpm=140.0))
    assert (near["pace_fast"], far["pace_fast"]) == (1, 2)


def test_usual_pace_is_the_median_of_judged_answers() -> None:
    judged = [_metrics(LONG, "es", wpm=w, baseline_wpm=150.0) for w in (130.0, 150.0, 170.0)]
    short = _metrics("Fue bien.", "es", wpm=400.0, baseline_wpm=150.0)
    assert usual_pace(judged[:2]) is None
    assert usual_pace([*judged, short]) == pytest.approx(150.0, rel=0.01)


def test_metrics_stored_before_languages_still_decode() -> None:
    stored = msgspec.to_builtins(_metrics(LONG, "en"))
    for field in ("pace_basis", "pace_min_wpm", "pace_max_wpm", "baseline_wpm"):
        del stored[field]
    old = msgspec.convert(stored, DeliveryMetrics)
    assert (old.pace_basis, old.pace_min_wpm, old.pace_max_wpm) == ("norm", 120.0, 160.0)


def test_lexicon_word_lists_are_consistent() -> None:
    for lexicon in LEXICONS.values():
        phrases = Counter([*lexicon.fillers, *lexicon.hedges])
        assert all(n == 1 for n in phrases.values()), lexicon.language
        assert not lexicon.number_words & lexicon.function_words, lexicon.language
