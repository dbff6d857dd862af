"""Helpers for the mock-interview tests, for either engine: record what the page heard and said,
and choose the interview's settings."""

from __future__ import annotations

from typing import Any

from tests.web.journeys import Evaluates, PageDriver

# Every utterance handed to speech synthesis, with whether the microphone was muted at that
# moment. The real synthesis still runs (it may never end headless). Run after the page loads.
RECORD_SPEECH = """(() => {
  window.spoken = [];
  const realSpeak = speechSynthesis.speak.bind(speechSynthesis);
  speechSynthesis.speak = (utterance) => {
    const tracks = window.podium?.connection.stream?.getAudioTracks() ?? [];
    window.spoken.push({
      text: utterance.text, lang: utterance.lang,
      muted: tracks.length > 0 && tracks.every((track) => !track.enabled),
    });
    realSpeak(utterance);
  };
  return true;
})()"""
RECORD_EVENTS = """(() => {
  window.events = [];
  podium.connection.addEventListener('message', (e) => window.events.push(e.detail.message));
  return true;
})()"""


async def events(page: Evaluates, kind: str) -> list[dict[str, Any]]:
    """The messages of type `kind` received since `RECORD_EVENTS`."""
    result: list[dict[str, Any]] = await page.evaluate(
        f"window.events.filter((m) => m.type === {kind!r})"
    )
    return result


async def set_up(
    page: PageDriver, *, questions: int, voice: bool, nudges: bool, silence_s: int
) -> None:
    """Open the Interview tab and choose: `questions` main questions (the page offers 3, 5 or 8:
    the first choice is made `questions`), no follow-ups, the voice, the hints, the silence."""
    await page.click('a[href="#interview"]')
    await page.wait_js("document.querySelector('#interview-role option')")
    await page.evaluate(
        f"""(() => {{
          const radio = document.querySelector('input[name="interview-length"]');
          radio.value = '{questions}';
          radio.nextElementSibling.textContent = '{questions}';
          return true;
        }})()"""
    )
    await page.click('input[name="interview-length"] + span')
    switches = {
        "#interview-voice": voice,
        "#interview-followups": False,
        "#interview-nudges": nudges,
    }
    for switch, wanted in switches.items():
        if await page.evaluate(f"document.querySelector('{switch}').checked") != wanted:
            await page.click(switch)
    await page.evaluate(
        f"""(() => {{
          const input = document.querySelector('#interview-silence');
          input.value = '{silence_s}';
          input.dispatchEvent(new Event('change', {{bubbles: true}}));
          return true;
        }})()"""
    )
