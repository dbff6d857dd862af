"""The page's source, read as text (no browser): what main.js looks up exists in index.html, the
protocol's message types are spelled in one module and match the server's, and each interface
language is a table of its own."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec

from server import protocol

WEB = Path(__file__).resolve().parents[2] / "web"
JS = WEB / "js"
# latency.js belongs to the Latency panel, which reads two caption types for its own sums.
SPELLS_TYPES_ITSELF = {"protocol.js", "latency.js"}


def test_every_element_main_js_looks_up_is_in_index_html() -> None:
    main = (JS / "main.js").read_text()
    html = (WEB / "index.html").read_text()
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    looked_up = set(re.findall(r'\$\("([^"]+)"\)', main))
    assert len(looked_up) > 50, 'main.js looks its elements up with $("id")'
    assert looked_up - ids == set()
    names = set(re.findall(r'input\[name="([^"]+)"\]', main))
    assert names and all(f'name="{name}"' in html for name in names), names


def server_message_types() -> set[str]:
    """The `type` tag of every message of the wire protocol, as the server defines it."""
    return {
        value.__struct_config__.tag
        for name, value in vars(protocol).items()
        if isinstance(value, type)
        and issubclass(value, msgspec.Struct)
        and not name.startswith("_")
        and value.__struct_config__.tag_field == "type"
    }


def test_message_types_are_spelled_in_protocol_js_only() -> None:
    types = server_message_types()
    assert {"answer.saved", "interview.start", "ping", "error"} <= types
    constants = (JS / "protocol.js").read_text()
    spelled = set(re.findall(r'^\s+[A-Z_]+: "([a-z._]+)",$', constants, re.M))
    assert spelled == types, "protocol.js lists exactly the server's message types"
    dotted = {kind for kind in types if "." in kind}
    for module in sorted(JS.glob("*.js")):
        if module.name in SPELLS_TYPES_ITSELF:
            continue
        source = module.read_text()
        literals = set(re.findall(r'"([a-z_]+\.[a-z_]+)"', source))
        # One-word types ("ping", "error") only where a message's type is meant.
        typed = set(re.findall(r'(?:type\s*(?:===|:)\s*|case\s+)"([a-z_.]+)"', source))
        assert (literals & dotted) | (typed & types) == set(), f"{module.name} spells types"


def test_each_language_has_a_table_of_its_own() -> None:
    tables = sorted(path.stem for path in (JS / "strings").glob("*.js"))
    i18n = (JS / "i18n.js").read_text()
    assert tables == ["en", "es", "pt"]
    assert re.search(r"LOCALES = \[" + ", ".join(f'"{code}"' for code in tables) + r"\]", i18n)
    # English is the fallback, imported; the others are loaded when chosen.
    static_imports = re.findall(r'^import .* from "\./strings/(\w+)\.js";', i18n, re.M)
    assert static_imports == ["en"]
    assert "import(`./strings/${code}.js`)" in i18n
    assert not (JS / "strings.js").exists()
