"""Benchmark: screen 100,000 vessel identities against the full OFAC SDN list.

Identities are built deterministically (seed 4) from real data in ../shared/data: names, IMO
numbers and MMSIs of the NOAA MarineCadastre sample and OpenSARShip, MMSIs of the GFW registry,
and SDN vessel names with the AIS-style variants of the accuracy tests (about 5% of the total).

The baseline is nomenklatura's logic-v2 matcher run one by one, each identity against every
listed vessel (no blocking). It is too slow to run on 100k identities, so it is measured on a
subset and scaled linearly to 100k; the script says so in its output.

    .venv/bin/python benchmarks/screening.py [--n 100000] [--baseline 60]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date
from pathlib import Path

import polars as pl
from followthemoney import model
from nomenklatura.matching import LogicV2

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data"
sys.path.insert(0, str(ROOT))

from darkfleet.sanctions.ofac import load_ofac  # noqa: E402
from darkfleet.sanctions.screen import screen_vessels  # noqa: E402
from darkfleet.sanctions.vessel_index import ListedEntity, build_vessel_index  # noqa: E402
from tests.sanctions.variants import VARIANTS, one_typo  # noqa: E402


def identities(n: int, sdn_vessels: list, seed: int = 4) -> pl.DataFrame:
    rng = random.Random(seed)
    noaa = pl.read_csv(DATA / "ais/csv/noaa_marinecadastre_2023-01-01_sample.csv",
                       infer_schema=False)  # fmt: skip
    sar = pl.read_csv(DATA / "sar/opensarship/ships.csv", infer_schema=False)
    gfw = pl.read_csv(DATA / "registry/gfw_vessel_characteristics_2020-01.csv", infer_schema=False)
    real = [
        (r["VesselName"], (r["IMO"] or "").replace("IMO", "") or None, r["MMSI"], r["VesselType"])
        for r in noaa.iter_rows(named=True)
    ] + [(r["AIS_Name"], r["AIS_IMO"], r["AIS_MMSI"], r["AIS_Ship_Type"])
         for r in sar.iter_rows(named=True)]  # fmt: skip
    names = [r[0] for r in real if r[0]]
    mmsis = gfw["id"].to_list()
    rows = []
    makers = list(VARIANTS.values())
    for i in range(n):
        u = rng.random()
        if u < 0.05:  # a listed vessel, as AIS might show it
            e = rng.choice(sdn_vessels)
            name = rng.choice(makers)(e.first("name")) or e.first("name")
            imo = e.first("imoNumber")[3:] if e.has("imoNumber") and rng.random() < 0.5 else None
            rows.append((i, name, imo, None, None))
        elif u < 0.45:  # a real identity
            name, imo, mmsi, kind = rng.choice(real)
            rows.append((i, name, imo, mmsi, kind))
        else:  # a real name (sometimes mistyped) with a registry MMSI
            name = rng.choice(names)
            if rng.random() < 0.3:
                name = one_typo(name, seed=i) or name
            rows.append((i, name, None, rng.choice(mmsis), None))
    return pl.DataFrame(rows, schema=["query_id", "name", "imo", "mmsi", "ship_type"],
                        orient="row")  # fmt: skip


def logic_v2_entity(row: dict) -> object:
    e = model.make_entity("Vessel")
    e.id = f"q{row['query_id']}"
    e.add("name", row["name"] or "")
    e.add("imoNumber", row["imo"] or "")
    e.add("mmsi", row["mmsi"] or "")
    return e


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=60, help="identities for logic-v2")
    args = parser.parse_args()

    t0 = time.perf_counter()
    sdn = load_ofac(DATA / "sanctions/ofac_sdn_2024-05-03.csv")
    t_load = time.perf_counter() - t0
    vessels = [e for e in sdn.entities if e.schema.name == "Vessel"]
    t0 = time.perf_counter()
    index = build_vessel_index(
        [ListedEntity(e, "us_ofac_sdn", date(2024, 5, 3), "v") for e in sdn.entities]
    )
    t_index = time.perf_counter() - t0
    q = identities(args.n, vessels)

    t0 = time.perf_counter()
    result = screen_vessels(q, index)
    t_screen = time.perf_counter() - t0
    alerts = result.filter(pl.col("alert"))
    print(f"SDN load (once per list version): {t_load:.1f} s; index {len(vessels)} vessels: "
          f"{t_index:.2f} s")  # fmt: skip
    print(f"darkfleet vessel-v1 (blocked, vectorised): {q.height:,} identities in "
          f"{t_screen:.2f} s ({q.height / t_screen:,.0f}/s); {result.height:,} matches, "
          f"{alerts.height:,} alerts")  # fmt: skip

    subset = q.sample(args.baseline, seed=7).to_dicts()
    config = LogicV2.default_config()
    t0 = time.perf_counter()
    v2_alerts = set()
    for row in subset:
        query = logic_v2_entity(row)
        for vessel in vessels:
            if LogicV2.compare(query, vessel, config).score >= 0.7:
                v2_alerts.add((row["query_id"], vessel.id))
    t_v2 = time.perf_counter() - t0
    per_identity = t_v2 / len(subset)
    scaled = per_identity * q.height
    print(f"nomenklatura logic-v2 one by one: measured {len(subset)} identities x "
          f"{len(vessels)} vessels = {t_v2:.1f} s; scaled linearly to {q.height:,} identities: "
          f"{scaled:,.0f} s")  # fmt: skip
    print(f"ratio (logic-v2 scaled / darkfleet): {scaled / t_screen:,.0f}x")

    ids = {r["query_id"] for r in subset}
    ours = {(r["query_id"], r["entity_id"]) for r in alerts.iter_rows(named=True)
            if r["query_id"] in ids}  # fmt: skip
    both = ours & v2_alerts
    print(f"on the subset: darkfleet alerts {len(ours)}, logic-v2 >= 0.7: {len(v2_alerts)}, "
          f"both {len(both)}")  # fmt: skip
    for qid, eid in sorted(ours ^ v2_alerts)[:20]:
        row = next(r for r in subset if r["query_id"] == qid)
        who = "darkfleet only" if (qid, eid) in ours else "logic-v2 only"
        name = next(v.first("name") for v in vessels if v.id == eid)
        print(f"  {who}: {row['name']!r} imo={row['imo']} mmsi={row['mmsi']} -> {name}")


if __name__ == "__main__":
    main()
