"""Adaptive Card 1.5 building blocks shared by the card modules, so every card looks and shortens alike."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mailflow.verdict import Verdict

Element = dict[str, Any]

# A mark and a word per verdict: the word keeps the meaning for screen readers and colour-blind readers.
VERDICTS: dict[Verdict, tuple[str, str, str]] = {
    Verdict.OK: ("✅", "OK", "Good"),
    Verdict.WARNING: ("⚠️", "Warning", "Warning"),
    Verdict.ERROR: ("❌", "Error", "Attention"),
    Verdict.NOT_FOUND: ("➖", "Not found", "Default"),
    Verdict.UNCHECKED: ("❔", "Not checked", "Default"),
}
LONG_TEXT = 1500  # characters of one block of prose; cards.fit() shortens further when the card is too big
SHORTENED = " … (shortened)"


def shorten(text: str, limit: int, mark: str = SHORTENED) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, ending in ``mark`` when it was cut."""
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - len(mark))]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + mark


def text(value: str, **style: Any) -> Element:
    return {"type": "TextBlock", "text": shorten(value, LONG_TEXT), "wrap": True, **style}


def heading(value: str) -> Element:
    return text(value, size="Medium", weight="Bolder", style="heading")


def label(value: str) -> Element:
    """A small bold caption above a group ("Run:", "Collect first:")."""
    return text(value, weight="Bolder", spacing="Medium")


def bullets(items: Iterable[str], limit: int = LONG_TEXT) -> list[Element]:
    return [text("• " + shorten(item, limit), spacing="Small") for item in items]


def facts(pairs: Iterable[tuple[str, str]]) -> Element | None:
    shown = [{"title": shorten(name, 60), "value": shorten(value, 300)} for name, value in pairs]
    return {"type": "FactSet", "facts": shown} if shown else None


def commands(lines: Iterable[str]) -> Element | None:
    """Commands verbatim in a monospace box; one TextBlock each, so line breaks never depend on markdown."""
    items = [text(line, fontType="Monospace", spacing="Small") for line in lines]
    return {"type": "Container", "style": "emphasis", "items": items} if items else None


def compact(elements: Iterable[Element | None]) -> list[Element]:
    return [e for e in elements if e is not None]
