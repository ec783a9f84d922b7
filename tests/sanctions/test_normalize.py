import pytest

from darkfleet.sanctions.normalize import normalize_name, skeleton, to_ascii_upper
from darkfleet.sanctions.vessel_types import categories_of_text, category_of_ais


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("ANGARA", "ANGARA"),
        ("M/V Angara", "ANGARA"),
        ("M.V. ANGARA", "ANGARA"),
        ("MT ANGARA", "ANGARA"),
        ("angara.", "ANGARA"),
        ("SEA STAR III", "SEASTAR3"),
        ("SEA-STAR THREE", "SEASTAR3"),
        ("CHON MYONG 01", "CHONMYONG1"),
        ("ANA I", "ANA1"),
        ("I LOVE", "ILOVE"),  # a leading I is a word, not a numeral
        ("MV", "MV"),  # a name that is only a prefix stays
        ("АНГАРА", "ANGARA"),
        ("КАПИТАН ЯКУБОВИЧ", "KAPITANYAKUBOVICH"),
        ("SASCO ANGARA", "SASCOANGARA"),
    ],
)
def test_keys(raw: str, key: str):
    assert normalize_name(raw).key == key


def test_sorted_key_ignores_order_and_numbers_are_kept():
    assert normalize_name("GRACE ORIENTAL").sorted_key == normalize_name("ORIENTAL GRACE").sorted_key
    assert normalize_name("LU RONG YU 1234").numbers == ("1234",)


def test_other_scripts_go_through_icu():
    assert to_ascii_upper("Ōkami") == "OKAMI"


def test_skeleton_folds_romanisations():
    for a, b in [
        ("YAKUBOVICH", "IAKUBOVICH"),
        ("ARCTICA", "ARKTIKA"),
        ("CHERNYSHEV", "CHERNISHEV"),
    ]:
        assert skeleton(a) == skeleton(b)
    assert skeleton("ANGARA") != skeleton("MARIA")


def test_vessel_categories():
    assert category_of_ais(37) == "pleasure"
    assert category_of_ais(84) == "tanker"
    assert category_of_ais(99) is None
    assert categories_of_text("Crude Oil Tanker") == {"tanker"}
    assert categories_of_text("Fish Carrier") == {"cargo", "fishing"}
    assert categories_of_text(None) == frozenset()
