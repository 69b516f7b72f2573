"""The strings marked in the code, and a pseudo-locale built from them.

The pseudo-locale translates every message to itself between ⟦ and ⟧, so a page rendered in
it shows at a glance which words went through a catalogue: whatever English is left outside
the brackets (and is not the plant's own data) was never marked (tests/test_i18n_pages.py).
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import write_mo

ROOT = Path(__file__).resolve().parent.parent
# The keywords `make messages` extracts (Makefile), beside Babel's defaults.
KEYWORDS = ["_l", "lazy_gettext", "lazy_pgettext:1c,2"]
OPEN, CLOSE = "⟦", "⟧"

Message = tuple[str | tuple[str, ...], str | None]


def marked_messages() -> list[Message]:
    """Every (msgid or (singular, plural), context) marked in the code and templates."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, **parse_keywords(KEYWORDS)}
    return [
        (msgid, context)
        for _file, _line, msgid, _comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords
        )
    ]


def pseudo(text: str) -> str:
    """A message as the pseudo-locale writes it."""
    return f"{OPEN}{text}{CLOSE}"


def write_pseudo_catalogue(target: Path, code: str) -> Path:
    """A compiled catalogue for `code` under `target` (a translations folder) in which every
    marked message reads as itself in brackets; the folder."""
    catalog = Catalog(locale=code)
    for msgid, context in marked_messages():
        if isinstance(msgid, tuple):
            singular, plural = msgid[0], msgid[1]
            forms = [pseudo(singular)] + [pseudo(plural)] * (catalog.num_plurals - 1)
            catalog.add((singular, plural), tuple(forms), context=context)
        else:
            catalog.add(msgid, pseudo(msgid), context=context)
    mo = target / code / "LC_MESSAGES" / "messages.mo"
    mo.parent.mkdir(parents=True, exist_ok=True)
    with mo.open("wb") as out:
        write_mo(out, catalog)
    return target
