"""Strict vessel identifiers: IMO ship numbers, IMO company numbers, MMSIs.

An IMO ship number is exactly seven digits whose last digit is a check digit: the first six
digits weighted 7, 6, 5, 4, 3, 2, summed, modulo 10 (IMO resolution A.1117(30), annex). IMO
company and registered-owner numbers are also seven digits but use a different check (weights
8, 6, 4, 2, 9, 7, then ``(11 - sum % 11) % 10``), as rigour's ``IMO`` format documents.

Unlike ``rigour.ids.IMO``, nothing here pads or shortens: ``"917984"`` or ``"0917984"`` is not
the IMO number 9179840-something, and merging distinct vessels on a repaired number is worse
than not matching at all. Values that fail are reported, never silently repaired.
"""

from __future__ import annotations

import re

_SEVEN = re.compile(r"^(?:IMO)?[\s:.#-]*(\d{7})$", re.IGNORECASE)
# In free text (list remarks), an IMO number is a run of exactly seven digits.
_IN_TEXT = re.compile(r"(?<!\d)(\d{7})(?!\d)")
_MMSI = re.compile(r"^\d{9}$")


def vessel_check_digit_ok(digits: str) -> bool:
    """True if a seven-digit string carries a valid IMO *ship* check digit."""
    if len(digits) != 7 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:6], (7, 6, 5, 4, 3, 2), strict=True))
    return total % 10 == int(digits[6])


def company_check_digit_ok(digits: str) -> bool:
    """True if a seven-digit string carries a valid IMO *company* check digit."""
    if len(digits) != 7 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:6], (8, 6, 4, 2, 9, 7), strict=True))
    return (11 - total % 11) % 10 == int(digits[6])


def imo_digits(value: str | int | None) -> str | None:
    """The seven digits of an IMO-like value (``"IMO 9179842"``, ``9179842``), unvalidated.

    Returns None unless the value is exactly seven digits (optionally prefixed ``IMO``) with
    a non-zero leading digit: a leading zero means the number was padded from a shorter one.
    """
    if value is None:
        return None
    text = str(value).strip()
    match = _SEVEN.match(text)
    if match is None:
        return None
    digits = match.group(1)
    return digits if digits[0] != "0" else None


def parse_vessel_imo(value: str | int | None) -> str | None:
    """A ship IMO number as seven digits, or None if the value is not a valid one.

    >>> parse_vessel_imo("IMO 9179842")
    '9179842'
    >>> parse_vessel_imo("917984") is None  # shortened: rejected, not padded
    True
    >>> parse_vessel_imo(9179843) is None  # wrong check digit
    True
    """
    digits = imo_digits(value)
    if digits is None or not vessel_check_digit_ok(digits):
        return None
    return digits


def imos_in_text(text: str) -> list[str]:
    """Every seven-digit run in free text, in order, check digit not yet tested."""
    return [m.group(1) for m in _IN_TEXT.finditer(text)]


def parse_mmsi(value: str | int | None) -> str | None:
    """An MMSI as nine digits, or None. MMSIs have no check digit; 000000000 is rejected."""
    if value is None:
        return None
    text = str(value).strip()
    if not _MMSI.match(text) or not text.strip("0"):
        return None
    return text


def format_imo(digits: str) -> str:
    """The FtM ``imoNumber`` form of seven digits: ``IMO9179842``."""
    return f"IMO{digits}"


def flag_of_mmsi(mmsi: str | None) -> str | None:
    """The flag (ISO 3166 alpha-2, lower case) of a ship station's MMSI, from its MID.

    A ship station's MMSI is ``MIDXXXXXX`` with the Maritime Identification Digits first
    (ITU-R M.585); other station kinds (coast stations, SAR aircraft, AIS-SART, craft associated
    with a parent ship) carry no flag here. The MID table is pyais's (``COUNTRY_MAPPING``); without
    pyais installed no flag is derived.
    """
    if mmsi is None or len(mmsi) != 9 or mmsi[0] not in "234567":
        return None
    try:
        from pyais.constants import COUNTRY_MAPPING
    except ImportError:  # pragma: no cover - pyais is a dependency of darkfleet.ais
        return None
    found = COUNTRY_MAPPING.get(int(mmsi[:3]))
    return found[0].lower() if found else None
