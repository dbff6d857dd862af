"""The page's languages in a real Chromium: the interface and the questions follow the language
picker (first from the browser's language), the choice lasts across a reload, and a language the
server's speech model cannot serve is said plainly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.async_api import Page, Route

from benchmarks.serverproc import ServerProcess
from benchmarks.speech import Clip
from tests.web.conftest import (
    browser_page,
    clip_named,
    needs_chromium,
    open_practice,
    question_loaded,
    speech_wav,
    wait_state,
)

pytestmark = [pytest.mark.browser, pytest.mark.chromium, needs_chromium]

MIC_CLIP = "en_praatio_damon.wav"  # any audio: no session gets as far as hearing it
UNSUPPORTED = "the model tiny.en is English only; to use 'es', install the multilingual model"

# Words of the interface per language, as index.html and strings.js show them.
LABELS = {
    "pt": {
        "#mic-label": "Começar resposta",
        "#question-next": "Outra pergunta",
        'a[href="#history"]': "Histórico",
    },
    "es": {
        "#mic-label": "Empezar respuesta",
        "#question-next": "Otra pregunta",
        'a[href="#history"]': "Historial",
    },
}


async def bank(page: Page, language: str) -> set[str]:
    """The texts of every question the server has in `language`."""
    body = await page.evaluate(
        "(language) => fetch(`/api/questions?language=${language}`).then((r) => r.json())",
        language,
    )
    return {question["text"] for question in body["questions"]}


async def check_language(page: Page, language: str) -> None:
    assert await page.input_value("#language") == language
    assert await page.get_attribute("html", "lang") == language
    for selector, text in LABELS[language].items():
        assert (await page.inner_text(selector)).strip() == text, selector
    await question_loaded(page)
    assert await page.inner_text("#question-text") in await bank(page, language)


async def refuse_language(route: Route) -> None:
    # The server's refusal in its wire format (README, protocol): the suite's server has the
    # multilingual model at hand, so it would not refuse Spanish itself.
    error = {"error": {"code": "unsupported_language", "message": UNSUPPORTED}}
    await route.fulfill(status=400, content_type="application/json", body=json.dumps(error))


async def test_interface_and_questions_follow_the_language_and_persist(
    server: ServerProcess,
    speech_dir: Path,
    english_clips: list[Clip],
    tmp_path: Path,
    artifacts: Path,
) -> None:
    wav = speech_wav(tmp_path, speech_dir, clip_named(english_clips, MIC_CLIP))
    async with browser_page(tmp_path / "profile", mic_wav=wav, locale="pt-BR") as page:
        # No choice stored yet: the browser's language (Portuguese) is the default.
        await open_practice(page, server.url)
        await check_language(page, "pt")

        await page.select_option("#language", "es")
        await page.wait_for_function("document.documentElement.lang === 'es'")
        spanish = await bank(page, "es")
        await page.wait_for_function(
            "(texts) => texts.includes(document.querySelector('#question-text').textContent)",
            arg=sorted(spanish),
        )
        await check_language(page, "es")
        assert await page.inner_text("#role option:checked") == "General"
        await page.screenshot(path=artifacts / "practice-es.png")

        # Every table has English's keys and placeholders; the pace band speaks the language.
        checked = await page.evaluate(
            """async () => {
              const { LOCALES } = await import('/js/i18n.js');
              const STRINGS = Object.fromEntries(await Promise.all(LOCALES.map(
                async (code) => [code, (await import(`/js/strings/${code}.js`)).default])));
              const { paceBasis } = await import('/js/results.js');
              const holes = (text) => (text.match(/\\{\\w+\\}/g) ?? []).sort().join();
              const problems = [];
              for (const [code, table] of Object.entries(STRINGS)) {
                for (const [key, text] of Object.entries(STRINGS.en)) {
                  if (!(key in table)) problems.push(`${code} lacks ${key}`);
                  else if (holes(table[key]) !== holes(text)) problems.push(`${code} ${key}`);
                }
              }
              return {
                problems,
                norm: paceBasis({pace_basis: 'norm', pace_min_wpm: 120, pace_max_wpm: 160}),
                personal: paceBasis({pace_basis: 'personal', baseline_wpm: 131.6}),
                none: paceBasis({pace_basis: 'none', pace_min_wpm: 0, pace_max_wpm: 0}),
              };
            }"""
        )
        assert checked["problems"] == []
        assert checked["norm"] == "lo ideal: 120–160"
        assert checked["personal"] == "tu ritmo habitual ≈ 132 ppm"
        assert checked["none"] == "aún no hay referencia para este idioma"

        # A language the speech model cannot serve: the server's reason, and no "try again".
        await page.route("**/api/sessions", refuse_language)
        await page.click("#mic")
        await wait_state(page, "failed")
        notice = await page.inner_text("#notice")
        assert "No hay subtítulos en este idioma" in notice, notice
        assert UNSUPPORTED.lower() in notice.lower(), notice  # ApiError capitalises it
        assert await page.is_hidden("#notice-retry")
        assert await page.inner_text("#status-text") == "Falló la conexión"
        await page.screenshot(path=artifacts / "unsupported-language-es.png")
        await page.unroute("**/api/sessions")

        # The choice lasts: after a reload, still Spanish, with the same question.
        question = await page.inner_text("#question-text")
        await page.reload()
        await question_loaded(page)
        await check_language(page, "es")
        assert await page.inner_text("#question-text") == question
