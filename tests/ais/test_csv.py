"""CSV exports: known formats detected from the header, any other CSV through a mapping."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from darkfleet.ais import csvfmt
from darkfleet.events.identity import IdentityParams, detect_identity_changes
from darkfleet.lake.ingest import IngestOptions, ingest, sniff_format
from darkfleet.lake.query import connect
from darkfleet.lake.store import Lake


@pytest.mark.parametrize(
    ("name", "fmt", "rows"),
    [
        ("noaa_marinecadastre_2023-01-01_sample.csv", "noaa-marinecadastre", 1000),
        ("dma_aisdk_2018-02-08_sample.csv", "dma", 10),
        ("nari_brest_dynamic_sample.csv", "nari", 10),
    ],
)
def test_known_exports(shared_data: Path, tmp_path: Path, name: str, fmt: str, rows: int) -> None:
    path = shared_data / "ais/csv" / name
    assert sniff_format(path, IngestOptions())[1].name == fmt  # type: ignore[union-attr]
    lake = Lake.open(tmp_path)
    report = ingest(lake, [path]).files[0]
    assert report.read == rows == report.accepted["positions"]
    con = connect(lake)
    lon, lat, ts = con.sql("SELECT lon, lat, strftime(ts, '%Y-%m-%d') FROM positions ORDER BY line LIMIT 1").fetchone()  # type: ignore[misc]
    first = path.read_text().splitlines()[1]
    assert f"{lon}"[:6] in first and f"{lat}"[:6] in first
    assert ts[:4] in first or fmt == "nari"


def test_noaa_identity_columns(shared_data: Path, tmp_path: Path) -> None:
    lake = Lake.open(tmp_path)
    ingest(lake, [shared_data / "ais/csv/noaa_marinecadastre_2023-01-01_sample.csv"])
    row = connect(lake).sql(
        "SELECT name, imo, callsign, length_m, width_m FROM statics WHERE mmsi = 636021061").fetchone()
    assert row == ("MSC NAISHA III", 9307839, "5LCB4", 208, 30)


def test_dma_day_first_times(shared_data: Path, tmp_path: Path) -> None:
    lake = Lake.open(tmp_path)
    ingest(lake, [shared_data / "ais/csv/dma_aisdk_2018-02-08_sample.csv"])
    day = connect(lake).sql("SELECT DISTINCT strftime(ts, '%Y-%m-%d') FROM positions").fetchall()
    assert day == [("2018-02-08",)]


def write(tmp_path: Path, text: str, name: str = "x.csv", bom: bool = False, crlf: bool = False) -> Path:
    data = text.replace("\n", "\r\n") if crlf else text
    p = tmp_path / name
    p.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data.encode())
    return p


GENERIC = """vessel,time,x,y,speed,label
273456000,15.08.2023 06:00:00,131.05,42.9,11.5,"ANGARA, RU"
273456000,15.08.2023 07:00:00,131.10,42.8,11.0,"ANGARA, RU"
273456000,not a time,131.10,42.8,11.0,ANGARA
,15.08.2023 08:00:00,131.10,42.8,11.0,ANGARA
273456000,15.08.2023 09:00:00,200.0,42.8,11.0,ANGARA
"""


@pytest.mark.parametrize("bom", [False, True])
@pytest.mark.parametrize("crlf", [False, True])
def test_generic_csv_through_a_mapping(tmp_path: Path, bom: bool, crlf: bool) -> None:
    path = write(tmp_path, GENERIC, bom=bom, crlf=crlf)
    fmt = csvfmt.CsvFormat("cli", csvfmt.parse_mapping("mmsi=vessel,ts=time,lon=x,lat=y,sog_kn=speed,name=label"),
                           time_format="%d.%m.%Y %H:%M:%S", tz="Europe/Moscow")
    lake = Lake.open(tmp_path / "lake")
    rep = ingest(lake, [path], IngestOptions(csv_format=fmt)).files[0]
    assert rep.read == 5 and rep.accepted["positions"] == 2
    assert rep.rejected == {"bad or missing time (column 'time')": 1, "bad or missing MMSI (column 'vessel')": 1,
                            "position out of range": 1}
    con = connect(lake)
    first = con.sql("SELECT ts, name FROM positions p JOIN statics s USING (mmsi, ts) ORDER BY ts").pl().row(0)
    assert first == (datetime(2023, 8, 15, 3, 0, tzinfo=UTC), "ANGARA, RU")  # Moscow is UTC+3
    rejected_lines = [r[0] for r in con.sql("SELECT line FROM rejects ORDER BY line").fetchall()]
    assert rejected_lines == [4, 5, 6]


def test_flag_column_reaches_the_identity_check(tmp_path: Path) -> None:
    """A CSV export's flag column is kept in statics (a change of flag is a new statics row) and
    declares the flag the MMSI's MID is checked against."""
    path = write(tmp_path, "vessel,time,x,y,flag\n"
                           "620000001,2023-08-15T06:00:00Z,131.0,42.9,Comoros\n"
                           "620000001,2023-08-15T07:00:00Z,131.1,42.8,Comoros\n"
                           "620000001,2023-08-15T08:00:00Z,131.2,42.7,Panama\n"
                           "273456000,2023-08-15T06:00:00Z,132.0,42.0,RU\n")
    fmt = csvfmt.CsvFormat("m", csvfmt.parse_mapping("mmsi=vessel,ts=time,lon=x,lat=y,flag=flag"))
    lake = Lake.open(tmp_path / "lake")
    ingest(lake, [path], IngestOptions(csv_format=fmt))
    statics = connect(lake).sql("SELECT mmsi, ts, flag FROM statics ORDER BY mmsi DESC, ts").pl()
    assert statics["flag"].to_list() == ["Comoros", "Panama", "RU"]
    events = detect_identity_changes(statics, IdentityParams())
    changes = [(e["mmsi"], json.loads(e["attributes"])["old"]) for e in events.iter_rows(named=True)
               if json.loads(e["attributes"])["change"] == "flag_mid_mismatch"]
    assert changes == [(620000001, "pa")]  # MID 620 is Comoros; Russia's 273 agrees with "RU"


def test_iso_and_unix_times_are_detected(tmp_path: Path) -> None:
    path = write(tmp_path, "m,t,lo,la\n1,2023-08-15T06:00:00Z,1,1\n2,1692079200,1,1\n3,2023-08-15 06:00:00,1,1\n")
    fmt = csvfmt.CsvFormat("m", csvfmt.parse_mapping("mmsi=m,ts=t,lon=lo,lat=la"))
    lake = Lake.open(tmp_path / "lake")
    ingest(lake, [path], IngestOptions(csv_format=fmt))
    times = {r[0] for r in connect(lake).sql("SELECT epoch(ts) FROM positions").fetchall()}
    assert times == {1692079200}


def test_mapping_errors_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="lacks required column"):
        csvfmt.CsvFormat("m", csvfmt.parse_mapping("mmsi=a,ts=b,lon=c"))
    with pytest.raises(ValueError, match="unknown darkfleet column"):
        csvfmt.CsvFormat("m", csvfmt.parse_mapping("mmsi=a,ts=b,lon=c,lat=d,speed=e"))
    with pytest.raises(ValueError, match="not of the form"):
        csvfmt.parse_mapping("mmsi")
    path = write(tmp_path, "a,b\n1,2\n")
    with pytest.raises(ValueError, match="cannot tell the format"):
        sniff_format(path, IngestOptions())
    fmt = csvfmt.CsvFormat("m", csvfmt.parse_mapping("mmsi=a,ts=b,lon=c,lat=d"))
    with pytest.raises(ValueError, match="has no column"):
        ingest(Lake.open(tmp_path / "lake"), [path], IngestOptions(csv_format=fmt))


def test_mapping_from_toml(tmp_path: Path) -> None:
    toml = tmp_path / "m.toml"
    toml.write_text('time_format = "%d.%m.%Y %H:%M:%S"\ntz = "UTC"\n[columns]\nmmsi = "vessel"\n'
                    'ts = "time"\nlon = "x"\nlat = "y"\n')
    fmt = csvfmt.load_mapping_file(toml)
    assert fmt.columns["lon"] == "x" and fmt.time_format == "%d.%m.%Y %H:%M:%S"
