"""Shared helpers of the golden decoder tests (not a test module).

The reference side is built here independently of darkfleet's own framing code: sentences are
found with a plain regular expression, checksums are recomputed, and multipart messages are
grouped in Python, so that a bug in ``darkfleet.ais.nmea`` or ``multipart`` cannot hide itself
by being used on both sides of a comparison.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from darkfleet.ais.decode import Batch, DecodeOptions, decode_lines

SHARED_DATA = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data").resolve()
NMEA_DIR = SHARED_DATA / "ais" / "nmea"

# Every file of raw NMEA text under ../shared/data/ais/nmea (not the licences, not the
# expected-decode files). Listed rather than globbed so that the test ids are stable and a
# file that disappears fails instead of silently dropping out of the comparison.
NMEA_FILES = [
    "aisdb/test_data_201201.nmea",
    "aisdb/test_data_20211101.nm4",
    "gfw-ais-tools/bad-tagblock-group.nmea",
    "gfw-ais-tools/bad-type5.nmea",
    "gfw-ais-tools/ee-multiline.nmea",
    "gfw-ais-tools/errors.nmea",
    "gfw-ais-tools/mixed_types.nmea",
    "gfw-ais-tools/multi-part.nmea",
    "gfw-ais-tools/sample.nmea",
    "gfw-ais-tools/single-message-type-5.nmea",
    "gfw-ais-tools/spire-test.nmea",
    "gfw-ais-tools/type1-bad-bitcount.nmea",
    "gpsd/ais-18-27.log",
    "gpsd/ais-nmea-type6-fid55.log",
    "gpsd/ais-nmea.log",
    "gpsd/ais-raw-messages.log",
    "gpsd/sample.aivdm",
    "libais/tagblock.nmea",
    "libais/test.aivdm",
    "libais/typeexamples.nmea",
    "pyais/ais_test_messages",
    "pyais/gatehouse.nmea",
    "pyais/mixed.txt",
    "pyais/nmea_data_sample.txt",
    "pyais/timestamped.ais",
]

ASSUME = DecodeOptions(assume_time=datetime(2024, 1, 1, tzinfo=UTC))

# A sentence: optional NMEA 4.0 tag block, then "!AIVDM,..." up to the checksum. Anything after
# the checksum (USCG receive times, a stray quote) is not part of the sentence.
_SENTENCE = re.compile(
    r"(?:\\(?P<tag>[^\\]*)\\)?(?P<core>[!$](?P<talker>[A-Z]{2})VD[MO],[^*\\!]*\*(?P<cs>[0-9A-Fa-f]{2}))"
)
_GROUP = re.compile(r"(?:^|,)g:(\d+)-(\d+)-(\d+)(?:[,*]|$)")


def read_lines(path: Path) -> list[str]:
    """The file's lines, split on LF only so that line numbers match darkfleet's."""
    text = path.read_bytes().decode("utf-8")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


@dataclass
class Sentence:
    line: int
    core: str  # "!AIVDM,...*hh", what pyais is given
    total: int
    num: int
    seq: str
    channel: str
    payload: str
    fill: int
    checksum_ok: bool
    group: int | None  # tag-block group id


def checksum_ok(core: str) -> bool:
    body, _, declared = core[1:].partition("*")
    x = 0
    for ch in body.encode():
        x ^= ch
    return x == int(declared[:2], 16)


def sentences(lines: list[str]) -> tuple[list[Sentence], list[tuple[int, str]]]:
    """Every well-formed AIS sentence of the lines, and the lines with a malformed one."""
    out: list[Sentence] = []
    malformed: list[tuple[int, str]] = []
    for i, raw in enumerate(lines, start=1):
        if raw.startswith("#"):  # comment lines (gpsd's sample.aivdm comments out bad input)
            continue
        for m in _SENTENCE.finditer(raw.rstrip()):
            core = m["core"]
            f = core.split(",")
            fill_cs = f[-1].split("*")[0]
            if (len(f) != 7 or not f[1].isdigit() or not f[2].isdigit()
                    or not fill_cs.isdigit() or len(f[3]) > 1 or len(f[4]) > 1):
                malformed.append((i, core))
                continue
            group = None
            if m["tag"] is not None:
                g = _GROUP.search(m["tag"])
                group = int(g.group(3)) if g else None
            out.append(Sentence(
                line=i, core=core, total=int(f[1]), num=int(f[2]), seq=f[3], channel=f[4],
                payload=f[5], fill=int(fill_cs), checksum_ok=checksum_ok(core), group=group,
            ))
    return out, malformed


@dataclass
class Message:
    parts: list[Sentence]

    @property
    def line(self) -> int:
        return min(p.line for p in self.parts)

    @property
    def end_line(self) -> int:
        """The line that completes the message (where a decoder can first print it)."""
        return max(p.line for p in self.parts)

    @property
    def payload(self) -> str:
        return "".join(p.payload for p in self.parts)

    @property
    def fill(self) -> int:
        return self.parts[-1].fill

    @property
    def cores(self) -> list[str]:
        return [p.core for p in self.parts]


@dataclass
class Assembly:
    messages: list[Message] = field(default_factory=list)
    bad_checksum: list[Sentence] = field(default_factory=list)
    incomplete: list[Sentence] = field(default_factory=list)


def assemble(sents: list[Sentence]) -> Assembly:
    """Group multipart sentences into messages (first complete group wins, in file order)."""
    out = Assembly()
    pending: dict[tuple, dict[int, Sentence]] = {}
    for s in sents:
        if not s.checksum_ok:
            out.bad_checksum.append(s)
            continue
        if s.total == 1:
            out.messages.append(Message([s]))
            continue
        key = ("g", s.group, s.total) if s.group is not None else (s.seq, s.channel, s.total)
        parts = pending.setdefault(key, {})
        if s.num in parts:  # id reused before the earlier message completed
            out.incomplete.extend(parts.values())
            parts.clear()
        parts[s.num] = s
        if len(parts) == s.total:
            del pending[key]
            out.messages.append(Message([parts[n] for n in range(1, s.total + 1)]))
    for parts in pending.values():
        out.incomplete.extend(parts.values())
    out.messages.sort(key=lambda m: (m.line, m.parts[0].core))
    return out


_SIX = {c: (c - 48 if c < 88 else c - 56) for c in list(range(48, 88)) + list(range(96, 120))}


def header(payload: str) -> tuple[int | None, int | None]:
    """(message type, MMSI) read from the armoured payload, None where it is too short."""
    try:
        six = [_SIX[ord(c)] for c in payload[:7]]
    except KeyError:
        return None, None
    if not six:
        return None, None
    value = 0
    for v in six:
        value = (value << 6) | v
    return six[0], (value >> 4) & ((1 << 30) - 1) if len(six) == 7 else None


@dataclass
class Outcome:
    """What darkfleet made of one reference message."""

    msg: Message
    msg_type: int | None
    mmsi: int | None
    rows: dict[str, dict]  # table -> row (type 19: positions and statics)
    rejects: list[str]  # darkfleet's reasons on the message's first line


@dataclass
class Decoded:
    lines: list[str]
    batch: Batch
    assembly: Assembly
    outcomes: list[Outcome]
    leftovers: list[tuple[str, dict]]  # darkfleet rows that match no reference message


def decode_and_match(path: Path) -> Decoded:
    """Decode a file with darkfleet and pair its rows with the reference messages.

    Outcomes come in the order the messages complete (the line of their last part), the order
    in which gpsd and libais print them. A row belongs to the message whose first part is on
    the row's ``line`` and whose type and MMSI (read from the payload here) are the row's.
    """
    lines, batch = decode_file(path)
    sents, _ = sentences(lines)
    asm = assemble(sents)
    pool: dict[tuple[str, int], list[dict]] = {}
    for name in ("positions", "statics", "stations", "aids", "other"):
        for row in table_rows(batch, name):
            pool.setdefault((name, row["line"]), []).append(row)
    rejects: dict[int, list[str]] = {}
    for line, _, reason in batch.rejects:
        rejects.setdefault(line, []).append(reason)
    outcomes = []
    for msg in asm.messages:
        t, mmsi = header(msg.payload)
        rows: dict[str, dict] = {}
        if t is not None:
            # Type 19 adds a statics row; a type 24 with an undefined part number is kept raw.
            tables = [table_of(t)] + {19: ["statics"], 24: ["other"]}.get(t, [])
            for name in tables:
                candidates = pool.get((name, msg.line), [])
                for i, r in enumerate(candidates):
                    if r["msg_type"] == t and r["mmsi"] == mmsi:
                        rows[name] = candidates.pop(i)
                        break
        outcomes.append(Outcome(msg, t, mmsi, rows, rejects.get(msg.line, [])))
    leftovers = [(name, r) for (name, _), rs in pool.items() for r in rs]
    outcomes.sort(key=lambda o: (o.msg.end_line, o.msg.line))  # in order of completion
    return Decoded(lines, batch, asm, outcomes, leftovers)


def decode_file(path: Path) -> tuple[list[str], Batch]:
    lines = read_lines(path)
    return lines, decode_lines(lines, ASSUME, source=path.name)


def table_rows(batch: Batch, name: str) -> list[dict]:
    t: pa.Table | None = batch.tables.get(name)
    return [] if t is None else t.to_pylist()


# ITU-R M.1371-5 "not available" codes darkfleet stores as null; expectations built from the
# references' raw codes are mapped the same way before comparing.
NOT_AVAILABLE = {"ship_type": 0, "draught_m": 0, "eta_month": 0, "eta_day": 0, "eta_hour": 24,
                 "eta_minute": 60}


def not_available(expected: dict) -> dict:
    return {k: (None if k in NOT_AVAILABLE and v is not None and v == NOT_AVAILABLE[k] else v)
            for k, v in expected.items()}


def table_of(msg_type: int) -> str:
    """The darkfleet table a message type is decoded into (as documented in the brief)."""
    if msg_type in (1, 2, 3, 18, 19, 27):
        return "positions"
    if msg_type in (5, 24):
        return "statics"
    if msg_type in (4, 11):
        return "stations"
    if msg_type == 21:
        return "aids"
    return "other"
