"""Findings: structured claims with a confidence word and the evidence they rest on.

Confidence uses the probability yardstick of UK intelligence assessment (PHIA), the same words
as the case store's ``CONFIDENCE_WORDS``:

=======================  ===========  ===============================================================
word                     probability  when darkfleet uses it for a trip finding
=======================  ===========  ===============================================================
almost certain           ≥ 95 %       every call rests on a named identification (AIS, or a sighting
                                      the analyst rated "highly likely" or better), at least half of
                                      the calls on two independent sources, and every leg is feasible
highly likely            80–90 %      every call rests on a named identification rated at least
                                      "likely", every leg feasible
likely                   55–75 %      some call rests only on a SAR candidate or a weaker sighting;
                                      legs feasible
realistic possibility    40–50 %      a leg is infeasible at the vessel's plausible speed (an
                                      observation is probably misattributed)
=======================  ===========  ===============================================================

Flow links are "likely" (counts move as the shipment would), "highly likely" when rail counts at
the destination rise too. A finding's ``id`` is the first 16 hex digits of the SHA-256 of what
defines it (kind, vessel, places, times, count and evidence ids): a re-run gives the same ids.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

import polars as pl

from darkfleet.analysis.params import VERSION

STRONG = {"almost certain", "highly likely"}
SCALE = ("almost certain", "highly likely", "likely", "realistic possibility")


def iso(t: datetime | None) -> str | None:
    return None if t is None else t.strftime("%Y-%m-%dT%H:%M:%SZ")


def evidence_item(kind: str, id_: str, source: str | None, sha256: str | None, time: datetime | None,
                  place: str | None, summary: str) -> dict[str, Any]:
    return {"kind": kind, "id": id_, "source": source, "sha256": sha256, "time": iso(time), "place": place,
            "summary": summary}


def finding(kind: str, claim: str, vessel: dict[str, Any] | None, places: list[str], start: datetime | None,
            end: datetime | None, count: int | None, confidence: str, evidence: list[dict[str, Any]],
            params: dict[str, Any], details: dict[str, Any] | None = None) -> dict[str, Any]:
    if confidence not in SCALE:
        raise ValueError(f"confidence {confidence!r} is not one of {SCALE}")
    evidence = sorted(evidence, key=lambda e: (e["time"] or "", e["kind"], e["id"]))
    key = json.dumps([kind, vessel, places, iso(start), iso(end), count, [e["id"] for e in evidence]],
                     sort_keys=True, default=str)
    return {"id": hashlib.sha256(key.encode()).hexdigest()[:16], "kind": kind, "claim": claim, "vessel": vessel,
            "places": places, "start": iso(start), "end": iso(end), "count": count, "confidence": confidence,
            "evidence": evidence, "details": details or {}, "params": params, "version": VERSION}


def obs_evidence(obs: pl.DataFrame) -> list[dict[str, Any]]:
    return [evidence_item(r["kind"], r["obs_id"], r["source"], r["sha256"], r["start"], r["place"], r["summary"])
            for r in obs.unique("obs_id").sort("start", "obs_id").iter_rows(named=True)]


def call_strength(obs: pl.DataFrame) -> pl.DataFrame:
    """Per call (``obs_ids``): named identifications and independent source kinds."""
    named = (pl.col("kind").str.starts_with("ais_") | (
        (pl.col("kind") == "sighting") & pl.col("confidence").is_in(["likely", *STRONG])))
    strong = pl.col("kind").str.starts_with("ais_") | ((pl.col("kind") == "sighting") & pl.col("confidence").is_in(
        list(STRONG)))
    return obs.group_by("call_key").agg(named.any().alias("named"), strong.any().alias("strong"),
                                        pl.col("kind").str.replace(r"^ais_.*", "ais").n_unique().alias("sources"))


def trip_confidence(strength: pl.DataFrame, all_feasible: bool) -> str:
    if not all_feasible:
        return "realistic possibility"
    if not strength["named"].all():
        return "likely"
    if strength["strong"].all() and (strength["sources"] >= 2).mean() >= 0.5:  # type: ignore[operator]
        return "almost certain"
    return "highly likely"


def trips_claim(name: str, imo: int | None, n: int, a: str, b: str, start: datetime, end: datetime,
                ais: list[str]) -> str:
    dark = sum(x == "dark" for x in ais)
    partly = sum(x == "partly_dark" for x in ais)
    if dark == len(ais):
        cover = "with AIS off on every leg"
    elif dark + partly == len(ais):
        cover = f"with AIS off on {dark} of {len(ais)} legs and partly off on the other{'s' if partly > 1 else ''}"
    else:
        cover = f"with AIS off on {dark} and partly off on {partly} of {len(ais)} legs"
    ident = f"{name} (IMO {imo})" if imo else name
    plural = "s" if n != 1 else ""
    return (f"{ident} made {n} round trip{plural} {a} – {b} between {start:%Y-%m-%d} and {end:%Y-%m-%d} "
            f"{cover}.")


def write_findings(findings: list[dict[str, Any]], path: str) -> None:
    from pathlib import Path

    Path(path).write_text(json.dumps(findings, indent=1, sort_keys=False, ensure_ascii=False) + "\n",
                          encoding="utf-8")
