"""Reconstruct a case: gather the evidence, run the kernels, assemble findings.

:func:`build_findings` is pure (tables in, findings out); :func:`reconstruct` reads the lake and
the case store and adds the sanctions findings when lists are loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from itertools import combinations
from pathlib import Path
from typing import Any, cast

import polars as pl

from darkfleet.analysis import findings as F
from darkfleet.analysis.flow import flow_links, growth, surges
from darkfleet.analysis.gather import Evidence, gather, open_store, positions_in_legs
from darkfleet.analysis.params import ReconstructParams
from darkfleet.analysis.voyages import OBS_SCHEMA, RouteDistance, calls, classify_legs, legs, round_trips, searoute_m
from darkfleet.lake.store import Lake

MARITIME = ("port", "military_port", "anchorage")
LEG_COLS = ("from_place", "to_place", "depart", "arrive", "hours_available", "sea_distance_nm", "distance_by",
            "required_speed_kn", "feasible", "ais", "dark_share", "likely_disabled", "gap_ids")


def build_findings(ev: Evidence, params: ReconstructParams, route: RouteDistance = searoute_m,
                   leg_positions: Callable[[pl.DataFrame], pl.DataFrame] | None = None) -> tuple[list[dict[str, Any]],
                                                                                                    pl.DataFrame]:
    """Findings from the evidence tables; also returns the legs table (for reports)."""
    pdict = params.as_dict()
    call_t = calls(ev.observations.select(list(OBS_SCHEMA)), params.calls)
    pts = {r["name"]: (r["lon"], r["lat"]) for r in ev.places.iter_rows(named=True)}
    leg_t = legs(call_t, params.legs, route, pts)
    watched_legs = leg_t.filter(pl.col("from_place").is_in(list(pts)) & pl.col("to_place").is_in(list(pts)))
    if leg_positions is not None and watched_legs.height:
        watched_legs = leg_positions(watched_legs)
    leg_t = classify_legs(watched_legs, ev.gaps, params.legs)
    keyed = ev.observations.join(
        call_t.select("vessel", "call_no", "obs_ids").explode("obs_ids").rename({"obs_ids": "obs_id"}),
        on=["vessel", "obs_id"]).with_columns(call_key=pl.format("{}#{}", "vessel", "call_no"))
    out: list[dict[str, Any]] = []
    maritime = sorted(ev.places.filter(pl.col("kind").is_in(MARITIME))["name"].to_list())
    for a, b in combinations(maritime, 2):
        trips = round_trips(call_t, a, b, (params.window_start, params.window_end))
        for (vessel,), t in trips.group_by("vessel", maintain_order=True):
            out.append(_trip_finding(str(vessel), t, keyed, leg_t, ev, pdict))
    out += _flow_findings(call_t, keyed, ev, params, pdict)
    out += _count_findings(ev, params, pdict)
    return out, leg_t


def _vessel(ev: Evidence, obs: pl.DataFrame, vessel: str) -> dict[str, Any]:
    names = obs.filter(pl.col("name").is_not_null())["name"]
    ident = ev.identities.filter(pl.col("vessel") == vessel)
    imo = obs["imo"].drop_nulls()
    mmsi = sorted(set(ident["mmsi"].to_list()) | set(obs["mmsi"].drop_nulls().to_list()))
    return {"name": names.mode().sort()[0] if names.len() else None, "imo": int(imo[0]) if imo.len() else None,
            "mmsi": mmsi[0] if len(mmsi) == 1 else (mmsi or None), "key": vessel}


def _trip_finding(vessel: str, t: pl.DataFrame, keyed: pl.DataFrame, leg_t: pl.DataFrame, ev: Evidence,
                  pdict: dict[str, Any]) -> dict[str, Any]:
    call_nos = sorted(set(t["from_call_no"].to_list()) | set(t["call_no"].to_list()) | set(t["back_call_no"].to_list()))
    mine = keyed.filter((pl.col("vessel") == vessel) & pl.col("call_no").is_in(call_nos))
    lg = leg_t.filter((pl.col("vessel") == vessel) & pl.col("from_call_no").is_in(
        t["from_call_no"].to_list() + t["call_no"].to_list())).sort("depart")
    strength = F.call_strength(mine)
    conf = F.trip_confidence(strength, bool(lg["feasible"].all()))
    v = _vessel(ev, keyed.filter(pl.col("vessel") == vessel), vessel)
    anchor, other = t["anchor"][0], t["other"][0]
    start, end = cast(datetime, t["depart"].min()), cast(datetime, t["back"].max())
    claim = F.trips_claim(v["name"] or vessel, v["imo"], t.height, anchor, other, start, end, lg["ais"].to_list())
    gap_ids = sorted({g for ids in lg["gap_ids"].to_list() for g in ids})
    gaps = ev.gaps.filter(pl.col("gap_id").is_in(gap_ids))
    evidence = F.obs_evidence(mine) + [
        F.evidence_item("ais_gap", r["gap_id"], r["source"], r["sha256"], r["start"], None, r["summary"])
        for r in gaps.iter_rows(named=True)]
    details = {
        "trips": [{"trip_no": r["trip_no"], "depart": F.iso(r["depart"]), "arrive": F.iso(r["arrive"]),
                   "leave": F.iso(r["leave"]), "back": F.iso(r["back"])} for r in t.iter_rows(named=True)],
        "legs": [{k: (F.iso(r[k]) if k in ("depart", "arrive") else _round(r[k])) for k in LEG_COLS}
                 for r in lg.iter_rows(named=True)],
        "calls_observed_by": {r["call_key"]: r["sources"] for r in strength.sort("call_key").iter_rows(named=True)},
    }
    return F.finding("round_trips", claim, v, [anchor, other], start, end, t.height, conf, evidence, pdict, details)


def _round(x: Any) -> Any:
    return round(x, 2) if isinstance(x, float) else x


def _flow_findings(call_t: pl.DataFrame, keyed: pl.DataFrame, ev: Evidence, params: ReconstructParams,
                   pdict: dict[str, Any]) -> list[dict[str, Any]]:
    links = flow_links(call_t, ev.counts, params.flow)
    out: list[dict[str, Any]] = []
    if links.height == 0:
        return out
    counts = ev.counts
    for (vessel, call_no), g in links.group_by("vessel", "call_no", maintain_order=True):
        r = g.row(0, named=True)
        v = _vessel(ev, keyed.filter(pl.col("vessel") == vessel), str(vessel))
        ids = set(g["o_b_id"].to_list() + g["o_a_id"].to_list() + g["d_b_id"].to_list() + g["d_a_id"].to_list())
        c = counts.filter(pl.col("count_id").is_in(sorted(ids)))
        evidence = [F.evidence_item("object_count", x["count_id"], x["source"], x["sha256"], x["observed_at"],
                                    x["place"], f"{x['count']} {x['object_class']} ({x['site']})")
                    for x in c.iter_rows(named=True)]
        calls_obs = keyed.filter((pl.col("vessel") == vessel) & pl.col("call_no").is_in([call_no, r["d_call_no"]]))
        evidence += F.obs_evidence(calls_obs)
        rises = "; ".join(f"{x['d_series']} +{x['d_change']} by {x['d_a_t']:%Y-%m-%d}" for x in g.iter_rows(named=True))
        claim = (f"Counts at {r['o_series']} fell by {-r['o_change']} while {v['name'] or vessel} "
                 f"was at {r['o_place']} "
                 f"({r['o_start']:%Y-%m-%d} – {r['o_end']:%Y-%m-%d}); it next called at {r['d_place']}, where {rises}.")
        rail = g["d_series"].str.contains("rail").any()
        out.append(F.finding("cargo_flow", claim, v, [r["o_place"], r["d_place"]], r["o_start"],
                             cast(datetime, g["d_a_t"].max()),
                             None, "highly likely" if rail else "likely", evidence, pdict,
                             {"origin_change": int(r["o_change"]), "destination_changes":
                              {x["d_series"]: int(x["d_change"]) for x in g.iter_rows(named=True)}}))
    return out


def _count_findings(ev: Evidence, params: ReconstructParams, pdict: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    by_id = {r["count_id"]: r for r in ev.counts.iter_rows(named=True)}

    def item(cid: str) -> dict[str, Any]:
        x = by_id[cid]
        return F.evidence_item("object_count", cid, x["source"], x["sha256"], x["observed_at"], x["place"],
                               f"{x['count']} {x['object_class']} ({x['site']})")

    for r in surges(ev.counts, params.surge).iter_rows(named=True):
        claim = (f"{r['count']} {r['object_class']}s counted at {r['series']} on {r['observed_at']:%Y-%m-%d}, against "
                 f"{r['baseline_max']} or fewer in the {r['baseline_n']} counts since {r['baseline_from']:%Y-%m-%d}.")
        out.append(F.finding("count_surge", claim, None, [r["place"]], r["baseline_from"], r["observed_at"], None,
                             "highly likely", [item(r["count_id"])] + [item(i) for i in r["baseline_ids"]], pdict,
                             {"series": r["series"], "count": r["count"], "baseline_max": r["baseline_max"]}))
    for r in growth(ev.counts, params.surge).iter_rows(named=True):
        claim = (f"{r['object_class'].capitalize()}s at {r['series']} grew from {r['first_n']} "
                 f"on {r['first_t']:%Y-%m-%d} "
                 f"to {r['last_n']} on {r['last_t']:%Y-%m-%d} ({r['n']} counts).")
        out.append(F.finding("count_growth", claim, None, [r["place"]], r["first_t"], r["last_t"], None,
                             "highly likely", [item(i) for i in r["count_ids"]], pdict,
                             {"series": r["series"], "first": r["first_n"], "last": r["last_n"]}))
    return out


def reconstruct(lake_dir: Path, case: str | None, params: ReconstructParams | None = None,
                route: RouteDistance = searoute_m) -> list[dict[str, Any]]:
    """All findings for ``case`` from the lake at ``lake_dir`` and its case store."""
    p = params or ReconstructParams()
    lake = Lake.open(lake_dir, create=False)
    store = open_store(lake_dir)
    if case is not None:
        store.case(case)  # a clear error for an unknown case
    ev = gather(lake, store, case, p.calls.place_extra_m)
    found, _ = build_findings(ev, p, route, lambda lg: positions_in_legs(lake, lg, ev.identities))
    from darkfleet.analysis.exposure import sanctions_findings

    found += sanctions_findings(lake_dir, [f for f in found if f["kind"] == "round_trips"], p.as_dict())
    if case is not None:
        for f in found:
            f["case"] = case  # the web app shows a case its own findings
    order = {"round_trips": 0, "sanctions_exposure": 1, "cargo_flow": 2, "count_surge": 3, "count_growth": 4}
    return sorted(found, key=lambda f: (order.get(f["kind"], 9), f["start"] or "", f["id"]))
