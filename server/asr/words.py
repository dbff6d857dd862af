"""Splitting recognised text into words, for every script.

Chinese and Japanese put no spaces between words, so `str.split()` makes a whole sentence one
"word": agreement between hypotheses and the overlap after a length cut then never match. Here
each Han, kana or CJK punctuation character is a token of its own. A token keeps the space that
preceded it, so joining tokens gives the text back as written.
"""

from __future__ import annotations

import re

# Han, kana, CJK symbols and punctuation, full-width forms: written without spaces.
_UNSPACED = "\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_TOKEN = re.compile(rf"(\s*)([{_UNSPACED}]|[^\s{_UNSPACED}]+)")


def split_words(text: str) -> list[str]:
    """The tokens of `text`; each starts with one space if whitespace preceded it."""
    tokens = [(" " if space else "") + unit for space, unit in _TOKEN.findall(text)]
    if tokens:
        tokens[0] = tokens[0].lstrip()
    return tokens


def join_words(tokens: list[str]) -> str:
    """The text of `split_words` tokens (a leading space is dropped)."""
    return "".join(tokens).strip()
