from hypothesis import given
from hypothesis import strategies as st

from darkfleet.sanctions.imo import (
    company_check_digit_ok,
    flag_of_mmsi,
    parse_mmsi,
    parse_vessel_imo,
    vessel_check_digit_ok,
)


def test_known_vessel_numbers():
    # IMO's own worked example (9074729: 9*7+0*6+7*5+4*4+7*3+2*2 = 139 -> 9), ANGARA, MARIA.
    for imo in ("9074729", "9179842", "8517839"):
        assert vessel_check_digit_ok(imo)
    assert not vessel_check_digit_ok("9074728")


def test_company_numbers_use_their_own_check():
    # M LEASING LLC and MARINE TRANS SHIPPING LLC (OFAC "Identification Number IMO").
    assert company_check_digit_ok("6246853") and company_check_digit_ok("6183435")
    assert not vessel_check_digit_ok("6246853")


def test_strict_parsing_rejects_repairs():
    assert parse_vessel_imo("IMO 9179842") == "9179842"
    assert parse_vessel_imo(9179842) == "9179842"
    assert parse_vessel_imo("imo:9179842") == "9179842"
    assert parse_vessel_imo("917984") is None  # shortened
    assert parse_vessel_imo("0917984") is None  # zero-padded
    assert parse_vessel_imo("91798420") is None  # too long
    assert parse_vessel_imo("9179843") is None  # check digit
    assert parse_vessel_imo("0000000") is None
    assert parse_vessel_imo(None) is None


def test_mmsi_and_flag():
    assert parse_mmsi("273385420") == "273385420"
    assert parse_mmsi("27338542") is None
    assert parse_mmsi("000000000") is None
    assert flag_of_mmsi("273385420") == "ru"  # MID 273: Russia
    assert flag_of_mmsi("367502170") == "us"
    assert flag_of_mmsi("970123456") is None  # AIS-SART: no flag


@given(st.integers(min_value=100_000, max_value=999_999))
def test_check_digit_roundtrip(six: int):
    digits = str(six)
    check = sum(int(d) * w for d, w in zip(digits, (7, 6, 5, 4, 3, 2), strict=True)) % 10
    assert parse_vessel_imo(digits + str(check)) == digits + str(check)
    assert parse_vessel_imo(digits + str((check + 1) % 10)) is None
