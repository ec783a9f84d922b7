"""Name variants as vessel names appear in AIS, built deterministically from list names.

Each function maps a listed name to the spelling an AIS transponder or a registry might show.
``None`` means the variant does not apply to that name (no numerals to spell out, say).
"""

from __future__ import annotations

import random
import re

from darkfleet.sanctions.normalize import CYRILLIC_BGN

_WORDS = {
    "1": "ONE", "2": "TWO", "3": "THREE", "4": "FOUR", "5": "FIVE", "6": "SIX", "7": "SEVEN",
    "8": "EIGHT", "9": "NINE", "10": "TEN", "11": "ELEVEN", "12": "TWELVE",
}  # fmt: skip
_ROMAN_TO_WORD = {"I": "ONE", "II": "TWO", "III": "THREE", "IV": "FOUR", "V": "FIVE"}

# Reverse BGN/PCGN: Latin (as OFAC writes Russian names) back to Cyrillic, longest first.
_LATIN_TO_CYR = sorted(
    [(lat, cyr) for cyr, lat in CYRILLIC_BGN.items() if lat and cyr not in "ЁІЇЄҐЎЪЬ"]
    + [("C", "К"), ("H", "Х"), ("W", "В"), ("X", "КС"), ("Q", "К"), ("J", "ДЖ")],
    key=lambda p: -len(p[0]),
)
# ICAO Doc 9303 (2013) romanisation, used in Russian passports since 2014.
_ICAO = {
    "А": "A", "Б": "B", "В": "V", "Г": "G", "Д": "D", "Е": "E", "Ж": "ZH", "З": "Z", "И": "I",
    "Й": "I", "К": "K", "Л": "L", "М": "M", "Н": "N", "О": "O", "П": "P", "Р": "R", "С": "S",
    "Т": "T", "У": "U", "Ф": "F", "Х": "KH", "Ц": "TS", "Ч": "CH", "Ш": "SH", "Щ": "SHCH",
    "Ы": "Y", "Э": "E", "Ю": "IU", "Я": "IA",
}  # fmt: skip


def to_cyrillic(name: str) -> str:
    """A Cyrillic spelling of a Latin (BGN-romanised) name."""
    out, i, upper = [], 0, name.upper()
    while i < len(upper):
        for lat, cyr in _LATIN_TO_CYR:
            if upper.startswith(lat, i):
                out.append(cyr)
                i += len(lat)
                break
        else:
            out.append(upper[i])
            i += 1
    return "".join(out)


def icao_latin(name: str) -> str:
    """The name romanised from its Cyrillic spelling by ICAO 9303 instead of BGN/PCGN."""
    return "".join(_ICAO.get(ch, ch) for ch in to_cyrillic(name))


def lower_case(name: str) -> str:
    return name.title()


def punctuation_dropped(name: str) -> str | None:
    out = re.sub(r"[^\w\s]", "", name)
    return out if out != name else None


def punctuation_added(name: str) -> str:
    return name.replace(" ", "-") + "." if " " in name else name + "."


def mv_prefix(name: str) -> str:
    return f"M/V {name}"


def numerals_as_words(name: str) -> str | None:
    tokens = name.split()
    out = [_WORDS.get(t, _ROMAN_TO_WORD.get(t, t) if i else t) for i, t in enumerate(tokens)]
    return " ".join(out) if out != tokens else None


def one_typo(name: str, seed: int) -> str | None:
    """One letter substituted, deleted, inserted or transposed with its neighbour (seeded)."""
    rng = random.Random(seed)
    # Numerals (digits, roman) are left alone: changing one makes another ship of a series.
    numeral = {m.start() + k for m in re.finditer(r"\b(?:[IVX]+|\d+)\b", name) if m.start()
               for k in range(len(m.group()))}  # fmt: skip
    letters = [i for i, ch in enumerate(name) if ch.isalpha() and i not in numeral]
    if len(letters) < 2:
        return None
    i = rng.choice(letters[:-1])
    if i + 1 not in letters:
        i = letters[0]
    op = rng.choice(("sub", "del", "ins", "swap"))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    if op == "sub":
        return name[:i] + rng.choice(alphabet.replace(name[i].upper(), "")) + name[i + 1 :]
    if op == "del":
        return name[:i] + name[i + 1 :]
    if op == "ins":
        return name[:i] + rng.choice(alphabet) + name[i:]
    if name[i] == name[i + 1]:
        return None
    return name[:i] + name[i + 1] + name[i] + name[i + 2 :]


VARIANTS = {
    "title_case": lower_case,
    "punctuation_dropped": punctuation_dropped,
    "punctuation_added": punctuation_added,
    "mv_prefix": mv_prefix,
    "numerals_as_words": numerals_as_words,
    "cyrillic": to_cyrillic,
    "icao_transliteration": icao_latin,
}
