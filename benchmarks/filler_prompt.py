"""Does an initial prompt written with disfluencies keep "um" and "uh" in finals, at what cost
in WER? `python -m benchmarks.filler_prompt`.

Whisper learnt from transcripts that mostly leave fillers out, so it drops "um" and "uh" that
were said; a prompt written the way people speak is known to make it write them. One run, one
model, final decodes (beam search, word timings, the short window) with each prompt and without:

- fillers kept: sentences written for this measurement with "um"/"uh" in them, spoken by
  espeak-ng, each decoded as one final: the fillers in the transcripts over those said;
- WER over the English clips of the speech set, each clip one final (Whisper's normaliser
  drops "um"/"uh", so a filler kept costs nothing there: any change is in the other words).
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

import msgspec
import numpy as np

from benchmarks.asr_cost import corpus_wer
from benchmarks.speech import DEFAULT_SPEECH_DIR, load_manifest, word_error_rate
from benchmarks.tts import speak
from server.asr.whisper import WhisperTranscriber, load_transcriber
from server.config import load_settings

PROMPTS = {
    "none": None,
    "disfluent": "Um, so, uh, I think, like... Uh, we, um, we did it.",
    "um-uh only": "Um, uh, so, um, we, uh, did it.",
}
# Said the way people answer, with 14 fillers; not taken from any graded answer.
DISFLUENT = (
    "Um, so the first thing I did was, uh, look at the logs from the night before.",
    "I think, uh, the main problem was that we, um, had no alerts on the queue.",
    "So, um, I talked to my manager and, uh, we agreed to split the work.",
    "Uh, it took about, um, two weeks to get it done.",
    "And, um, after that we had, uh, far fewer pages at night.",
    "Well, uh, I would say the biggest lesson was, um, to ask for help sooner.",
    "Um, yeah, that is, uh, that is pretty much it.",
)
_FILLER = re.compile(r"\b(?:u+h+|u+m+|uhm+|e+r+m+|hmm+)\b", re.I)


def with_final_prompt(transcriber: WhisperTranscriber, prompt: str | None) -> WhisperTranscriber:
    config = transcriber.config
    final = msgspec.structs.replace(config.final, prompt=prompt)
    return transcriber.with_config(msgspec.structs.replace(config, final=final))


def fillers_kept(transcriber: WhisperTranscriber, audio: list[np.ndarray]) -> tuple[int, float]:
    """Fillers in the finals of the disfluent sentences, and their WER."""
    texts = [
        transcriber.transcribe(a.astype(np.float32) / 32768.0, language="en", final=True).text
        for a in audio
    ]
    return sum(len(_FILLER.findall(t)) for t in texts), word_error_rate(DISFLUENT, texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speech-dir", type=Path, default=DEFAULT_SPEECH_DIR)
    args = parser.parse_args()
    transcriber = load_transcriber(load_settings())
    transcriber.warm_up()
    clips = [c for c in load_manifest(args.speech_dir / "manifest.jsonl") if c.language == "en"]
    said = sum(len(_FILLER.findall(text)) for text in DISFLUENT)
    audio = [speak(text) for text in DISFLUENT]
    print(f"model {transcriber.model_name} on {transcriber.device}/{transcriber.compute_type}; ")
    print(f"load average {os.getloadavg()[0]:.1f} at the start")
    print(f"{'prompt':<12} {'fillers kept':>14} {'WER disfluent':>14} {'WER clips':>10} decode s")
    for label, prompt in PROMPTS.items():
        variant = with_final_prompt(transcriber, prompt)
        kept, disfluent_wer = fillers_kept(variant, audio)
        wer, decode_s = corpus_wer(variant, clips, args.speech_dir, final=True)
        print(
            f"{label:<12} {kept:>6}/{said:<7} {disfluent_wer:>14.2%} {wer:>10.2%} {decode_s:8.1f}"
        )
    print(f"{len(clips)} English clips; load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
