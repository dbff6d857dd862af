"""Error rates for any language of the speech set: WER, or CER where words are not spaced."""

from __future__ import annotations

from collections.abc import Sequence

import jiwer
from whisper_normalizer.basic import BasicTextNormalizer

from benchmarks.speech import word_error_rate

# Written without spaces between words (Korean has them, but its word units are long enough that
# one wrong syllable costs a whole word): scored by characters.
CHARACTER_SCORED = frozenset({"ja", "ko", "zh"})

_normalize = BasicTextNormalizer()


def error_rate(references: Sequence[str], hypotheses: Sequence[str], language: str) -> float:
    """Corpus error rate after lower-casing and dropping punctuation: CER for Chinese, Japanese
    and Korean, WER for other languages (English with Whisper's English normalisation)."""
    if language == "en":
        return word_error_rate(references, hypotheses)
    refs = [" ".join(_normalize(r).split()) for r in references]
    hyps = [" ".join(_normalize(h).split()) for h in hypotheses]
    if language in CHARACTER_SCORED:
        refs = [r.replace(" ", "") for r in refs]
        hyps = [h.replace(" ", "") for h in hyps]
        return float(jiwer.cer(refs, hyps))
    return float(jiwer.wer(refs, hyps))
