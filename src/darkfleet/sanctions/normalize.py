"""Name normalisation for vessel and party screening.

Vessel names reach us in many spellings of one name: AIS's six-bit upper case, with or without
punctuation, a ``M/V`` prefix, numerals written out (``STAR TWO``) or roman (``STAR II``), and
Latin transliterations of Cyrillic names by different systems. Every name is reduced to
*tokens* (upper-case ASCII words, numerals as digits, vessel prefixes dropped) and two keys:
``key`` (the tokens joined without spaces, so ``SEA STAR`` = ``SEASTAR``) and ``sorted_key``
(the tokens sorted first, so word order does not matter).

Cyrillic is transliterated with the BGN/PCGN romanisation, the one used by most Latin-script
ship registers and by OFAC for Russian vessel names (``КАПИТАН ЯКУБОВИЧ`` → ``KAPITAN
YAKUBOVICH``); other scripts go through ICU (``normality.ascii_text``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from normality import ascii_text

# BGN/PCGN 1947 for Russian, plus the Ukrainian and Belarusian letters, simplified to ASCII
# (no diacritics, no apostrophes for the hard and soft signs).
CYRILLIC_BGN: dict[str, str] = {
    "А": "A",
    "Б": "B",
    "В": "V",
    "Г": "G",
    "Д": "D",
    "Е": "E",
    "Ё": "E",
    "Ж": "ZH",
    "З": "Z",
    "И": "I",
    "Й": "Y",
    "К": "K",
    "Л": "L",
    "М": "M",
    "Н": "N",
    "О": "O",
    "П": "P",
    "Р": "R",
    "С": "S",
    "Т": "T",
    "У": "U",
    "Ф": "F",
    "Х": "KH",
    "Ц": "TS",
    "Ч": "CH",
    "Ш": "SH",
    "Щ": "SHCH",
    "Ъ": "",
    "Ы": "Y",
    "Ь": "",
    "Э": "E",
    "Ю": "YU",
    "Я": "YA",
    "І": "I",
    "Ї": "YI",
    "Є": "YE",
    "Ґ": "G",
    "Ў": "W",
}

# Prefixes that say what kind of ship it is, not which: M/V ANGARA is ANGARA.
VESSEL_PREFIXES: frozenset[str] = frozenset(
    {"MV", "MT", "MS", "MY", "SS", "FV", "FB", "RV", "TB", "MTS", "MSV", "LPG", "LNG", "STS"}
)
# Multi-character prefixes written with a slash or dots before tokenising (M/V, M.V., M/T).
_SLASH_PREFIX = re.compile(r"^\s*([A-Z])[./]\s*([A-Z])\.?\s+")

_NUMBER_WORDS: dict[str, str] = {
    "ZERO": "0",
    "ONE": "1",
    "TWO": "2",
    "THREE": "3",
    "FOUR": "4",
    "FIVE": "5",
    "SIX": "6",
    "SEVEN": "7",
    "EIGHT": "8",
    "NINE": "9",
    "TEN": "10",
    "ELEVEN": "11",
    "TWELVE": "12",
    "THIRTEEN": "13",
    "FOURTEEN": "14",
    "FIFTEEN": "15",
    "SIXTEEN": "16",
    "SEVENTEEN": "17",
    "EIGHTEEN": "18",
    "NINETEEN": "19",
    "TWENTY": "20",
}
# Roman numerals II..XX as whole tokens. A lone "I" or "V" is a numeral only after the first
# token ("ANA I" is ANA 1, but "I LOVE" keeps its I).
_ROMAN: dict[str, str] = {
    "I": "1",
    "II": "2",
    "III": "3",
    "IV": "4",
    "V": "5",
    "VI": "6",
    "VII": "7",
    "VIII": "8",
    "IX": "9",
    "X": "10",
    "XI": "11",
    "XII": "12",
    "XIII": "13",
    "XIV": "14",
    "XV": "15",
    "XVI": "16",
    "XVII": "17",
    "XVIII": "18",
    "XIX": "19",
    "XX": "20",
}
_NON_ALNUM = re.compile(r"[^A-Z0-9]+")
_DIGIT_SPLIT = re.compile(r"(?<=[A-Z])(?=\d)|(?<=\d)(?=[A-Z])")


_SKELETON_FOLD = str.maketrans({"C": "K", "Q": "K", "Y": "I", "J": "I", "W": "V", "Z": "S"})
_VOWELS = re.compile(r"[AEIOUH]")
_REPEATS = re.compile(r"(.)\1+")


def skeleton(key: str) -> str:
    """The consonant skeleton of a key, folding letters that romanisations swap.

    Different romanisations of one Cyrillic name (YAKUBOVICH, IAKUBOVICH; ARCTICA, ARKTIKA)
    differ by two or more edits but share a skeleton: C/Q/K, Y/J/I, W/V and Z/S folded, vowels
    and H dropped, repeats collapsed. Used for blocking only, never for scoring.

    >>> skeleton("YAKUBOVICH") == skeleton("IAKUBOVICH") == "KBVK"
    True
    """
    return _REPEATS.sub(r"\1", _VOWELS.sub("", key.translate(_SKELETON_FOLD)))


@dataclass(frozen=True, slots=True)
class NormName:
    """A name reduced for matching: its tokens and the keys derived from them."""

    tokens: tuple[str, ...]
    key: str
    sorted_key: str

    @property
    def skeleton(self) -> str:
        return skeleton(self.key)

    @property
    def numbers(self) -> tuple[str, ...]:
        """The numeric tokens, in order: ``LU RONG YU 1234`` and ``... 1235`` differ here."""
        return tuple(t for t in self.tokens if t.isdigit())


def to_ascii_upper(text: str) -> str:
    """Upper-case ASCII of any script: BGN/PCGN for Cyrillic, ICU for the rest."""
    text = unicodedata.normalize("NFC", text).upper()
    if any("\u0400" <= ch <= "\u04ff" for ch in text):
        text = "".join(CYRILLIC_BGN.get(ch, ch) for ch in text)
    if not text.isascii():
        text = (ascii_text(text) or "").upper()
    return text


@lru_cache(maxsize=200_000)
def normalize_name(name: str, vessel: bool = True) -> NormName:
    """Tokens and keys of a name; ``vessel`` drops ship-kind prefixes (M/V, MT, F/V...).

    >>> normalize_name("M/V Star-Two").key
    'STAR2'
    >>> normalize_name("КАПИТАН ЯКУБОВИЧ").tokens
    ('KAPITAN', 'YAKUBOVICH')
    """
    text = to_ascii_upper(name)
    if vessel:
        text = _SLASH_PREFIX.sub(r"\1\2 ", text)
    # Apostrophes join (O'NEIL = ONEIL); every other non-alphanumeric separates.
    text = text.replace("'", "").replace("`", "")
    text = _NON_ALNUM.sub(" ", text)
    text = _DIGIT_SPLIT.sub(" ", text)
    raw = text.split()
    tokens: list[str] = []
    for i, tok in enumerate(raw):
        if vessel and i == 0 and tok in VESSEL_PREFIXES and len(raw) > 1:
            continue
        if tok in _NUMBER_WORDS:
            tok = _NUMBER_WORDS[tok]
        elif tok in _ROMAN and (len(tok) > 1 or tokens):
            tok = _ROMAN[tok]
        elif tok.isdigit():
            tok = str(int(tok))  # "NO 01" and "NO 1" are one name
        tokens.append(tok)
    return NormName(tuple(tokens), "".join(tokens), "".join(sorted(tokens)))


def name_tokens(name: str) -> tuple[str, ...]:
    """The tokens of a party (company or person) name, without vessel-prefix handling."""
    return normalize_name(name, vessel=False).tokens
