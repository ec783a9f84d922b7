"""Coarse vessel categories shared by AIS ship-type codes and list vessel types.

AIS ship type (ITU-R M.1371-5, table 53) is a two-digit code; sanctions lists use free text
("Crude Oil Tanker", "Fish Carrier"). Both are reduced to the same few categories so that a
pleasure craft is not taken for a listed crude tanker of the same name. A list type may map to
more than one category (a fish carrier reports as cargo or fishing).
"""

from __future__ import annotations

CATEGORIES = ("fishing", "tug", "service", "pleasure", "passenger", "cargo", "tanker", "military")

# (substring of the list's type text, categories), first match wins; order matters.
_TEXT_RULES: tuple[tuple[str, frozenset[str]], ...] = (
    ("fish carrier", frozenset({"cargo", "fishing"})),
    ("fishing", frozenset({"fishing"})),
    ("tanker", frozenset({"tanker"})),
    ("lpg", frozenset({"tanker"})),
    ("lng", frozenset({"tanker"})),
    ("tug", frozenset({"tug", "service"})),
    ("supply", frozenset({"tug", "service"})),
    ("anchor handling", frozenset({"tug", "service"})),
    ("offshore", frozenset({"tug", "service"})),
    ("salvage", frozenset({"tug", "service"})),
    ("dredg", frozenset({"service"})),
    ("research", frozenset({"service"})),
    ("drilling", frozenset({"service"})),
    ("pipe-laying", frozenset({"service"})),
    ("service", frozenset({"service", "tug"})),
    ("yacht", frozenset({"pleasure", "passenger"})),
    ("pleasure", frozenset({"pleasure"})),
    ("passenger", frozenset({"passenger"})),
    ("ferry", frozenset({"passenger"})),
    ("frigate", frozenset({"military"})),
    ("naval", frozenset({"military", "service"})),
    ("landing craft", frozenset({"military", "cargo"})),
    ("cargo", frozenset({"cargo"})),
    ("bulk", frozenset({"cargo"})),
    ("container", frozenset({"cargo"})),
    ("roll-on", frozenset({"cargo", "passenger"})),
    ("heavy lift", frozenset({"cargo"})),
    ("livestock", frozenset({"cargo"})),
    ("barge", frozenset({"cargo", "tug"})),
)


def categories_of_text(text: str | None) -> frozenset[str]:
    """Categories of a list's vessel type text; empty if unknown."""
    if not text:
        return frozenset()
    low = text.lower()
    for needle, cats in _TEXT_RULES:
        if needle in low:
            return cats
    return frozenset()


def category_of_ais(code: int | None) -> str | None:
    """Category of an AIS ship-type code, or None when the code says nothing useful."""
    if code is None:
        return None
    if code == 30:
        return "fishing"
    if code in (31, 32, 52):
        return "tug"
    if code == 35:
        return "military"
    if code in (36, 37):
        return "pleasure"
    if code in (33, 34, 50, 51, 53, 54, 55, 58):
        return "service"
    if 40 <= code <= 49 or 60 <= code <= 69:
        return "passenger"
    if 70 <= code <= 79:
        return "cargo"
    if 80 <= code <= 89:
        return "tanker"
    return None


def category_of_query(value: int | str | None) -> str | None:
    """A query's category from an AIS code (int or digits) or a type text."""
    if value is None:
        return None
    if isinstance(value, int) or str(value).strip().isdigit():
        return category_of_ais(int(value))
    cats = categories_of_text(str(value))
    return min(cats) if len(cats) == 1 else None
