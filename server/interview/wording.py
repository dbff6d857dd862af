"""Wording kept as data, one file per language (`data/<kind>.<lang>.json`), English as fallback."""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from importlib import resources
from typing import TypeVar

import msgspec

from server.errors import ConfigError
from server.interview.lexicon import primary_language

DEFAULT_LANGUAGE = "en"
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")

T = TypeVar("T")


def wording_language(language: str) -> str:
    """The file language for a requested one ("pt-BR" -> "pt"); English for anything unusable."""
    primary = primary_language(language)
    return primary if _LANGUAGE.match(primary) else DEFAULT_LANGUAGE


def load_wording(kind: str, language: str, file_type: type[T]) -> T:
    """Read `data/<kind>.<language>.json`; FileNotFoundError when that language has none."""
    name = f"{kind}.{language}.json"
    path = resources.files("server.interview") / "data" / name
    try:
        return msgspec.json.decode(path.read_bytes(), type=file_type)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ConfigError(f"{name} is malformed: {exc}") from None


def with_english_fallback(
    language: str, load: Callable[[str], T], check: Callable[[T, T, str], None]
) -> T:
    """The wording for `language`, checked against English; English where there is no file."""
    english = load(DEFAULT_LANGUAGE)
    if language == DEFAULT_LANGUAGE:
        return english
    try:
        translated = load(language)
    except FileNotFoundError:
        return english
    check(english, translated, language)
    return translated


def template_fields(template: str) -> set[str]:
    """The `{fields}` a template fills: a translation must fill the same ones."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}
