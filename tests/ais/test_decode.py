"""Table-driven tests of sentence framing, timestamps, multipart reassembly and rejects."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import reduce

import pyais
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from darkfleet.ais import decode as d
from darkfleet.ais.decode import DecodeOptions, decode_lines

T0 = datetime(2023, 8, 15, 6, 0, tzinfo=UTC)
ASSUME = DecodeOptions(assume_time=T0)


def checksum(body: str) -> str:
    return f"{reduce(lambda a, c: a ^ ord(c), body, 0):02X}"


def sentence(payload: str, fill: int = 0, total: int = 1, num: int = 1, seq: str = "",
             chan: str = "A", talker: str = "AIVDM", tag: str | None = None) -> str:
    body = f"{talker},{total},{num},{seq},{chan},{payload},{fill}"
    s = f"!{body}*{checksum(body)}"
    if tag is not None:
        s = f"\\{tag}*{checksum(tag)}\\{s}"
    return s


def encode(**fields: object) -> list[str]:
    return pyais.encode_dict(fields, radio_channel="A", talker_id="AI")


POS = encode(msg_type=1, mmsi=273456000, lon=131.05, lat=42.9, speed=11.3, course=215.4, heading=214)[0]
STATIC = encode(msg_type=5, mmsi=273456000, imo=9179842, callsign="UBRH7", shipname="ANGARA",
                ship_type=70, to_bow=80, to_stern=40, to_port=10, to_starboard=8, draught=6.5,
                destination="VOSTOCHNY")
PAYLOAD = POS.split(",")[5]


def rows(batch: d.Batch, table: str) -> list[dict[str, object]]:
    t = batch.tables.get(table)
    return [] if t is None else t.to_pylist()


def test_a_position_report_decodes_to_its_columns() -> None:
    b = decode_lines([POS], ASSUME)
    [r] = rows(b, "positions")
    assert r["mmsi"] == 273456000 and r["ts"] == T0 and r["msg_type"] == 1
    assert r["lon"] == pytest.approx(131.05, abs=1e-6) and r["lat"] == pytest.approx(42.9, abs=1e-6)
    assert r["sog_kn"] == pytest.approx(11.3, abs=1e-4) and r["cog_deg"] == pytest.approx(215.4, abs=1e-4)
    assert r["heading_deg"] == 214 and r["line"] == 1
    assert b.read == 1 and b.accepted["positions"] == 1


@pytest.mark.parametrize("talker", ["AIVDM", "AIVDO", "BSVDM", "ABVDM", "SAVDM"])
def test_any_talker(talker: str) -> None:
    b = decode_lines([sentence(PAYLOAD, talker=talker)], ASSUME)
    assert len(rows(b, "positions")) == 1


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (POS[:-2] + "00", "bad checksum"),
        (POS[:-3], "malformed AIS sentence"),
        ("!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,7*00", "malformed AIS sentence"),
        ("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47", "not an AIS sentence"),
        ("# a comment", "comment line"),
        (sentence(""), "empty payload"),
        (sentence("13u?etPv2;0n:dDPwUM1U1Cb069D!"), "invalid payload character"),
        (sentence("13u?etPv2;0n:dDPwUM1U1Cb069|"), "invalid payload character"),
        (sentence("13u?etPv2;0n"), "payload too short for its message type"),
        (encode(msg_type=1, mmsi=1, lon=181, lat=91)[0], "position not available (lon 181 / lat 91)"),
    ],
)
def test_bad_input_is_rejected_with_its_reason(line: str, reason: str) -> None:
    b = decode_lines(["# header", line], ASSUME) if reason != "comment line" else decode_lines([line], ASSUME)
    assert any(r[2] == reason and r[1] == line for r in b.rejects), b.rejects
    assert b.read == sum(b.accepted.values()) + sum(b.rejected.values())


def test_not_available_values_become_nulls() -> None:
    line = encode(msg_type=1, mmsi=1, lon=10, lat=10, speed=102.3, course=360, heading=511)[0]
    [r] = rows(decode_lines([line], ASSUME), "positions")
    assert r["sog_kn"] is None and r["cog_deg"] is None and r["heading_deg"] is None


def test_untimed_sentences_are_rejected_unless_a_time_is_assumed() -> None:
    b = decode_lines([POS])
    assert b.rejects == [(1, POS, "no timestamp")]
    assert rows(decode_lines([POS], ASSUME), "positions")[0]["ts"] == T0


def test_time_sources_in_order_of_precedence() -> None:
    tagged = sentence(PAYLOAD, tag="s:rORBCOMM,c:1692079200")
    tagged_ms = sentence(PAYLOAD, tag="c:1692079200500,s:x")
    uscg = POS + ",s1234,d-098,T12.3,x1,rB003669732,1692079300,1692079301"
    trailing = POS + ",1692079400"
    ts = [r["ts"] for r in rows(decode_lines([tagged, tagged_ms, uscg, trailing], ASSUME), "positions")]
    assert sorted(t.timestamp() for t in ts) == [1692079200, 1692079200.5, 1692079300, 1692079400]
    [station] = {r["station"] for r in rows(decode_lines([tagged]), "positions")}
    assert station == "rORBCOMM"


def test_gatehouse_header_stamps_the_sentence_after_it() -> None:
    b = decode_lines(["$PGHP,1,2023,8,15,6,30,5,250,338,2,,1,09*17", POS])
    [r] = rows(b, "positions")
    assert r["ts"] == datetime(2023, 8, 15, 6, 30, 5, 250_000, tzinfo=UTC)
    assert b.accepted["timestamps"] == 1


def test_multipart_in_order() -> None:
    b = decode_lines(STATIC, ASSUME)
    [r] = rows(b, "statics")
    assert (r["imo"], r["callsign"], r["name"], r["destination"]) == (9179842, "UBRH7", "ANGARA", "VOSTOCHNY")
    assert (r["length_m"], r["width_m"], r["draught_m"]) == (120, 18, pytest.approx(6.5))
    assert b.accepted["statics"] == 2


def test_multipart_out_of_order_and_interleaved() -> None:
    other = encode(msg_type=5, mmsi=273000001, imo=8517839, shipname="MARIA", callsign="UBRH7")
    a1, a2 = STATIC
    b1, b2 = (s.replace(",A,", ",B,") for s in other)  # other channel: another message
    b1, b2 = (x[: x.rindex("*") + 1] + checksum(x[1 : x.rindex("*")]) for x in (b1, b2))
    b = decode_lines([a2, b1, POS, a1, b2], ASSUME)
    names = sorted(r["name"] for r in rows(b, "statics"))
    assert names == ["ANGARA", "MARIA"]
    assert not b.rejects


def test_a_missing_part_leaves_the_others_in_rejects_after_the_window() -> None:
    a1, _ = STATIC
    opts = DecodeOptions(assume_time=T0, multipart_window_lines=3)
    b = decode_lines([a1, POS, POS, POS, POS, POS], opts)
    assert [(r[0], r[2]) for r in b.rejects] == [(1, "incomplete multipart message")]
    assert b.accepted["positions"] == 5


def test_tag_block_groups_join_parts_and_carry_the_first_parts_time() -> None:
    p1, p2 = STATIC
    s1 = "\\g:1-2-1278,s:66,c:1692079200*" + checksum("g:1-2-1278,s:66,c:1692079200") + "\\" + p1
    s2 = "\\g:2-2-1278*" + checksum("g:2-2-1278") + "\\" + p2
    [r] = rows(decode_lines([s1, s2]), "statics")
    assert r["ts"].timestamp() == 1692079200 and r["station"] == "66" and r["line"] == 1


def test_several_sentences_on_one_line() -> None:
    p1, p2 = STATIC
    b = decode_lines([f"\\c:1692079200*{checksum('c:1692079200')}\\{p1}\\c:1692079200*"
                      f"{checksum('c:1692079200')}\\{p2}"])
    assert len(rows(b, "statics")) == 1
    assert b.read == 2 == b.accepted["statics"]


def test_a_line_with_a_stray_bang_is_kept_beside_a_line_that_is_split() -> None:
    """Two '!' on a line do not always mean two sentences; such a line is still accounted for
    (it was dropped when another line of the same block was split)."""
    stray = sentence(PAYLOAD[:9] + "!" + PAYLOAD[10:])
    b = decode_lines([stray, POS + POS], ASSUME)
    assert [(r[0], r[2]) for r in b.rejects] == [(1, "invalid payload character")]
    assert b.accepted["positions"] == 2
    assert b.read == sum(b.accepted.values()) + sum(b.rejected.values()) == 3


def test_type_24_parts() -> None:
    a = encode(msg_type=24, mmsi=338000001, partno=0, shipname="MAIA")[0]
    bpart = encode(msg_type=24, mmsi=338000001, partno=1, ship_type=70, vendorid="ABC",
                   callsign="UBX9", to_bow=50, to_stern=20, to_port=5, to_starboard=6)[0]
    rs = sorted(rows(decode_lines([a, bpart], ASSUME), "statics"), key=lambda r: r["part"])
    assert (rs[0]["part"], rs[0]["name"]) == ("A", "MAIA")
    assert (rs[1]["part"], rs[1]["ship_type"], rs[1]["callsign"], rs[1]["length_m"]) == ("B", 70, "UBX9", 70)


def test_options_are_validated() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        DecodeOptions(assume_time=datetime(2023, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="at least 1"):
        DecodeOptions(multipart_window_lines=0)


# -- decode ∘ encode, against pyais's encoder ---------------------------------------------

coords = st.tuples(st.integers(-180 * 600_000, 180 * 600_000), st.integers(-90 * 600_000, 90 * 600_000))


@settings(max_examples=200, deadline=None)
@given(
    mmsi=st.integers(1, 999_999_999), lonlat=coords, speed=st.integers(0, 1022),
    course=st.integers(0, 3599), heading=st.integers(0, 359), msg_type=st.sampled_from([1, 2, 3, 18]),
)
def test_position_round_trip(mmsi: int, lonlat: tuple[int, int], speed: int, course: int,
                             heading: int, msg_type: int) -> None:
    lon, lat = lonlat[0] / 600_000, lonlat[1] / 600_000
    line = encode(msg_type=msg_type, mmsi=mmsi, lon=lon, lat=lat, speed=speed / 10,
                  course=course / 10, heading=heading)[0]
    b = decode_lines([line], ASSUME)
    [r] = rows(b, "positions")
    assert r["mmsi"] == mmsi and r["msg_type"] == msg_type
    assert abs(r["lon"] - lon) < 1e-6 and abs(r["lat"] - lat) < 1e-6
    assert round(r["sog_kn"] * 10) == speed and round(r["cog_deg"] * 10) == course
    assert r["heading_deg"] == heading


text6 = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -", min_size=1, max_size=20).map(str.strip).filter(bool)


@settings(max_examples=100, deadline=None)
@given(mmsi=st.integers(1, 999_999_999), imo=st.integers(1, 2**30 - 1), name=text6,
       callsign=text6.map(lambda s: s[:7].strip()).filter(bool), destination=text6)
def test_static_round_trip(mmsi: int, imo: int, name: str, callsign: str, destination: str) -> None:
    lines = encode(msg_type=5, mmsi=mmsi, imo=imo, shipname=name, callsign=callsign, destination=destination)
    [r] = rows(decode_lines(lines, ASSUME), "statics")
    assert (r["mmsi"], r["imo"], r["name"], r["callsign"], r["destination"]) == (
        mmsi, imo, name, callsign, destination)
