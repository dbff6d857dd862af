"""The rubric and the offline coach on Spanish, Portuguese, French, German and Italian answers.

Answers here are written for these tests (inputs, not model output); questions come from the bank.
"""

from __future__ import annotations

import msgspec
import pytest

from server.interview.coach import OfflineCoach, templates
from server.interview.metrics import DeliveryMetrics, compute_metrics, words_from_text
from server.interview.questions import QuestionBank
from server.interview.rubric import analyse
from server.interview.types import FeedbackChunk, FeedbackRequest, FeedbackResult
from tests.interview.test_languages import PORTUGUESE_FILLERS, SPANISH_FILLERS

STAR = {
    "es": (
        "El año pasado, en Acme, era el ingeniero principal del servicio de facturación. El "
        "problema era que una compañera y yo no estábamos de acuerdo sobre si reescribir la lógica "
        "de reintentos de pago. Mi tarea era conseguir que tomáramos una decisión antes del "
        "lanzamiento del tercer trimestre. Así que escribí una comparación de una página con las "
        "dos opciones y organicé una reunión de treinta minutos con Priya y nuestro jefe. Propuse "
        "probar los dos enfoques con una semana de tráfico real. Como resultado, elegimos su "
        "diseño, los pagos fallidos bajaron un 18 por ciento y entregamos dos semanas antes. "
        "Aprendí que los datos zanjan las discusiones más rápido que las opiniones."
    ),
    "pt": (
        "No ano passado, na Acme, eu era o engenheiro principal do serviço de cobrança. O problema "
        "era que uma colega e eu discordávamos sobre reescrever a lógica de novas tentativas de "
        "pagamento. Minha tarefa era fazer a gente chegar a uma decisão antes do lançamento do "
        "terceiro trimestre. Então escrevi uma comparação de uma página com as duas opções e "
        "marquei uma reunião de trinta minutos com a Priya e o nosso gestor. Propus testar as duas "
        "abordagens com uma semana de tráfego real. Como resultado, escolhemos o design dela, os "
        "pagamentos com falha caíram 18 por cento e entregamos duas semanas antes. Aprendi que "
        "dados resolvem discussões mais rápido do que opiniões."
    ),
}
NO_RESULT = {
    "es": (
        "En mi anterior empresa era responsable de mover nuestros procesos de informes a un nuevo "
        "planificador. El problema era que los procesos antiguos no tenían documentación y nadie "
        "sabía cuáles seguían siendo importantes. Mi tarea era migrarlos todos en un trimestre. "
        "Empecé por hacer una lista de todos los procesos y entrevisté a los analistas que usaban "
        "los informes. Después agrupé los procesos por responsable y escribí una lista de "
        "comprobación para cada grupo. También preparé un panel compartido donde todos podían ver "
        "qué procesos ya estaban migrados."
    ),
    "pt": (
        "Na minha empresa anterior eu era responsável por migrar os nossos processos de relatórios "
        "para um novo agendador. O problema era que os processos antigos não tinham documentação "
        "e ninguém sabia quais ainda importavam. Minha tarefa era migrar todos eles em um "
        "trimestre. Comecei listando todos os processos e entrevistei os analistas que usavam os "
        "relatórios. Depois agrupei os processos por responsável e escrevi um checklist para cada "
        "grupo. Também montei um painel compartilhado onde todo mundo podia ver quais processos já "
        "tinham sido migrados."
    ),
}
# Other languages: the same story twice, once ending on its outcome and once stopping before it.
STORY = {
    "fr": (
        "L'année dernière, chez Acme, j'étais responsable du service de facturation. Le problème "
        "était que les paiements échouaient souvent. Ma tâche était de trouver la cause avant la "
        "fin du trimestre. D'abord j'ai analysé les journaux, puis j'ai ",
        "corrigé la logique de relance avec deux collègues. Au final, les paiements en échec ont "
        "baissé de 18 pour cent et on a livré deux semaines plus tôt.",
        "comparé la logique de relance avec celle d'une autre équipe et j'ai écrit une note pour "
        "mon manager avec deux options.",
    ),
    "de": (
        "Letztes Jahr war ich bei Acme für den Abrechnungsdienst verantwortlich. Das Problem war, "
        "dass viele Zahlungen fehlschlugen. Meine Aufgabe war, die Ursache vor dem Quartalsende zu "
        "finden. Zuerst habe ich die Logs analysiert, dann habe ich ",
        "die Wiederholungslogik mit zwei Kollegen umgebaut. Am Ende sind die fehlgeschlagenen "
        "Zahlungen um 18 Prozent gesunken und wir haben zwei Wochen früher ausgeliefert.",
        "die Wiederholungslogik mit der eines anderen Teams verglichen und eine Notiz mit zwei "
        "Optionen für meinen Chef geschrieben.",
    ),
    "it": (
        "L'anno scorso, in Acme, ero responsabile del servizio di fatturazione. Il problema era "
        "che molti pagamenti fallivano. Il mio compito era trovare la causa prima della fine del "
        "trimestre. Prima ho analizzato i log, poi ho ",
        "riscritto la logica dei tentativi con due colleghi. Alla fine i pagamenti falliti sono "
        "scesi del 18 per cento e abbiamo consegnato due settimane prima.",
        "confrontato la logica dei tentativi con quella di un altro team e ho scritto una nota con "
        "due opzioni per il mio capo.",
    ),
}
QUANTIFIED = {
    "es": "los pagos fallidos bajaron un 18 por ciento",
    "pt": "os pagamentos com falha caíram 18 por cento",
}
# Characteristic words of each language's feedback.
MARKERS = {
    "es": ("Siguiente paso", "Qué mejorar"),
    "pt": ("Próximo passo", "O que melhorar"),
}


@pytest.fixture(scope="module")
def bank() -> QuestionBank:
    return QuestionBank.load()


def _question(bank: QuestionBank, question_id: str, language: str) -> str:
    question = bank.get(question_id, language)
    assert question is not None
    return question.text


def _metrics(text: str, language: str, wpm: float = 140.0, **kwargs: float) -> DeliveryMetrics:
    words = words_from_text(text, words_per_minute=wpm)
    return compute_metrics(words, duration_s=60.0, language=language, **kwargs)


async def _feedback(
    question: str, transcript: str, language: str, metrics: DeliveryMetrics | None = None
) -> FeedbackResult:
    request = FeedbackRequest(
        question=question,
        role="software-engineer",
        language=language,
        transcript=transcript,
        metrics=msgspec.to_builtins(metrics or _metrics(transcript, language)),
    )
    items = [item async for item in OfflineCoach().stream(request)]
    assert all(isinstance(item, FeedbackChunk) for item in items[:-1])
    assert isinstance(items[-1], FeedbackResult)
    return items[-1]


# The rubric --------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["es", "pt"])
def test_full_star_answer_scores_high(bank: QuestionBank, language: str) -> None:
    question = _question(bank, "gen-conflict-01", language)
    assessment = analyse(question, STAR[language], _metrics(STAR[language], language))
    scores, evidence = assessment.scores, assessment.evidence
    assert evidence.star_parts == ["situation", "task", "action", "result"]
    assert evidence.star_in_order and evidence.quantified_result and evidence.reflection
    assert (scores.structure, scores.result) == (5, 5)
    assert scores.relevance >= 4 and scores.specificity >= 4
    assert {"Acme", "Priya", "18"} <= set(evidence.details)
    assert evidence.i_actions >= 3  # "escribí", "organicé" / "escrevi", "marquei": no pronoun


@pytest.mark.parametrize("language", ["es", "pt"])
def test_answer_without_a_result_scores_low_on_result(bank: QuestionBank, language: str) -> None:
    question = _question(bank, "gen-failure-01", language)
    assessment = analyse(question, NO_RESULT[language], _metrics(NO_RESULT[language], language))
    assert assessment.scores.result == 1
    assert assessment.evidence.missing_parts == ["result"]
    assert assessment.scores.structure == 4


@pytest.mark.parametrize("language", ["fr", "de", "it"])
def test_a_result_raises_the_result_score_in_other_languages(
    bank: QuestionBank, language: str
) -> None:
    opening, outcome, no_outcome = STORY[language]
    question = _question(bank, "gen-failure-01", "en")
    with_result = analyse(question, opening + outcome, _metrics(opening + outcome, language))
    without = analyse(question, opening + no_outcome, _metrics(opening + no_outcome, language))
    assert without.scores.result == 1 and "result" in without.evidence.missing_parts
    assert with_result.scores.result >= 4 and with_result.evidence.quantified_result
    assert {"situation", "task", "action"} <= set(without.evidence.star_parts)


MINE = {
    "es": (
        "En mi último trabajo la página de pago era lenta. Medí el tiempo de carga, encontré tres "
        "scripts pesados, quité dos y moví el tercero detrás de un botón. Como resultado, el "
        "tiempo de carga bajó de 6 segundos a 2."
    ),
    "pt": (
        "No meu último emprego a página de pagamento era lenta. Medi o tempo de carregamento, "
        "encontrei três scripts pesados, tirei dois e movi o terceiro para trás de um botão. Como "
        "resultado, o tempo de carregamento caiu de 6 segundos para 2."
    ),
}
OURS = {
    "es": (
        "En nuestro último trabajo la página de pago era lenta. Medimos el tiempo de carga, "
        "encontramos tres scripts pesados, quitamos dos y movimos el tercero detrás de un botón. "
        "Como resultado, el tiempo de carga bajó de 6 segundos a 2."
    ),
    "pt": (
        "No nosso último emprego a página de pagamento era lenta. Medimos o tempo de "
        "carregamento, encontramos três scripts pesados, tiramos dois e movemos o terceiro para "
        "trás de um botão. Como resultado, o tempo de carregamento caiu de 6 segundos para 2."
    ),
}


@pytest.mark.parametrize("language", ["es", "pt"])
def test_verb_endings_say_who_did_it(bank: QuestionBank, language: str) -> None:
    """Pronouns are mostly dropped: "medí" is "I measured", "medimos" "we measured"."""
    question = _question(bank, "swe-performance-01", language)
    mine = analyse(question, MINE[language], _metrics(MINE[language], language))
    ours = analyse(question, OURS[language], _metrics(OURS[language], language))
    assert mine.evidence.i_actions == 4 and mine.evidence.we_count == 0
    assert ours.evidence.i_actions == 0 and ours.evidence.we_count == 5
    assert mine.scores.specificity > ours.scores.specificity


@pytest.mark.parametrize(
    ("language", "text", "i_count", "we_count"),
    [
        ("es", "Aquí la ingeniería de los últimos meses fue así.", 0, 0),
        ("es", "Yo decidí cambiarlo y lo hice en una semana.", 2, 0),
        ("es", "Al final nosotros decidimos que lo haríamos así.", 0, 2),
        ("pt", "Aqui a engenharia dos últimos meses foi assim.", 0, 0),
        ("pt", "Eu decidi mudar e fiz isso em uma semana.", 2, 0),
        ("pt", "No fim decidimos que nós faríamos isso.", 0, 2),
    ],
)
def test_first_person_counts_ignore_look_alike_words(
    language: str, text: str, i_count: int, we_count: int
) -> None:
    evidence = analyse("", text, _metrics(text, language)).evidence
    assert (evidence.i_count, evidence.we_count) == (i_count, we_count)


# The offline coach ----------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["es", "pt"])
async def test_feedback_is_written_in_the_answer_s_language(
    bank: QuestionBank, language: str
) -> None:
    wording = templates(language)
    question = _question(bank, "gen-conflict-01", language)
    result = await _feedback(question, STAR[language], language)
    assert all(marker in result.text for marker in MARKERS[language])
    assert wording["well.heading"] in result.text and wording["well.structure"] in result.text
    assert "What went well" not in result.text and "Next step" not in result.text
    assert "{" not in result.text
    assert QUANTIFIED[language] in result.text  # the speaker's own words, quoted


@pytest.mark.parametrize("language", ["es", "pt"])
async def test_missing_result_is_the_thing_to_improve(bank: QuestionBank, language: str) -> None:
    wording = templates(language)
    question = _question(bank, "gen-failure-01", language)
    result = await _feedback(question, NO_RESULT[language], language)
    assert wording["fix.heading"] + wording["fix.result_missing"] in result.text
    assert wording["next.result"] in result.text
    assert result.scores.result == 1


@pytest.mark.parametrize(
    ("language", "text", "top"),
    [("es", SPANISH_FILLERS, ("eh", 6)), ("pt", PORTUGUESE_FILLERS, ("é", 3))],
)
async def test_fillers_are_named_in_the_answer_s_language(
    bank: QuestionBank, language: str, text: str, top: tuple[str, int]
) -> None:
    wording = templates(language)
    result = await _feedback(_question(bank, "swe-incident-01", language), text, language)
    word, count = top
    assert wording["counted"].format(word=word, count=count) in result.text
    assert wording["fix.fillers"].split("{")[0] in result.text


async def test_pace_advice_uses_the_speaker_s_usual_pace(bank: QuestionBank) -> None:
    wording = templates("es")
    story = " ".join([STAR["es"]] * 2)
    metrics = _metrics(story, "es", wpm=230.0, baseline_wpm=140.0)
    result = await _feedback(_question(bank, "gen-conflict-01", "es"), story, "es", metrics)
    advice = wording["fix.pace_fast_personal"].format(
        wpm=round(metrics.words_per_minute), usual=140
    )
    assert advice in result.text


async def test_french_is_scored_with_french_lists_but_worded_in_english(bank: QuestionBank) -> None:
    opening, _, no_outcome = STORY["fr"]
    text = opening + no_outcome
    result = await _feedback(_question(bank, "gen-failure-01", "en"), text, "fr")
    # Under 60 words: the length is said first, in English, and the missing result is scored.
    assert templates("en")["next.too_short"] in result.text
    assert result.scores.result == 1
