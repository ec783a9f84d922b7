"""``darkfleet optical ...``: ships at berth, object counts, change and site activity in optical
imagery (a thin layer over :mod:`darkfleet.imagery.optical.pipeline`). The lead registers it
with ``app.add_typer(optical_app, name="optical")``.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

optical_app = typer.Typer(no_args_is_help=True, help="Ships, object counts and change in optical imagery.")


@optical_app.callback()
def optical() -> None:
    """Ships, object counts and change in optical imagery."""


def _clean(v: Any) -> Any:
    if isinstance(v, float):
        return None if not math.isfinite(v) else round(v, 6)
    return v


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


@optical_app.command()
def ships(
    paths: Annotated[list[Path], typer.Argument(help="Scene directories of Sentinel-2 band files, or GeoTIFFs.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON array of detections.")] = False,
) -> None:
    """Ships on water and alongside quays (NDWI candidates scored by the packaged classifier)."""
    from darkfleet.imagery.optical.pipeline import ships_in
    from darkfleet.imagery.optical.readers import ReadError

    records: list[dict[str, Any]] = []
    for p in paths:
        try:
            _, det = ships_in(p)
        except (ReadError, KeyError) as exc:
            _fail(str(exc).strip("'\""))
            return
        cols = ["file", "row", "col", "lon", "lat", "length_m", "width_m", "orientation_deg", "score"]
        records += [{k: _clean(v) for k, v in r.items()} for r in det.select(cols).iter_rows(named=True)]
        if not as_json:
            typer.echo(f"{p}: {det.height} ships")
    if as_json:
        typer.echo(json.dumps(records))


@optical_app.command()
def count(
    image: Annotated[Path, typer.Argument(help="High-resolution RGB image (PNG or GeoTIFF).")],
    gsd_m: Annotated[
        float | None, typer.Option("--gsd-m", help="Ground sampling distance (m/pixel) if the file has none.")
    ] = None,
    preset: Annotated[str, typer.Option(help="Object kind: vehicles or boats.")] = "vehicles",
    out: Annotated[Path | None, typer.Option("--out", help="Write the positions drawn over the image (PNG).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print counts and positions as JSON.")] = False,
) -> None:
    """Count objects in rows and groups; positions are a proposal for the analyst to confirm."""
    from darkfleet.imagery.optical.count import summarise
    from darkfleet.imagery.optical.pipeline import count_in, scene_sha256, write_overlay_png
    from darkfleet.imagery.optical.readers import ReadError

    try:
        scene, objs = count_in(image, gsd_m, preset)
    except (ReadError, ValueError) as exc:
        _fail(str(exc))
        return
    if out is not None:
        write_overlay_png(scene.rgb(), objs, out)
    summary = summarise(objs)
    if as_json:
        doc = {
            "file": str(image),
            "image_id": scene.scene_id,
            "sha256": scene_sha256(scene),
            "gsd_m": scene.gsd_m,
            "counts": summary,
            "objects": [{k: _clean(v) for k, v in r.items()} for r in objs.iter_rows(named=True)],
        }
        typer.echo(json.dumps(doc))
    else:
        typer.echo(
            f"{image}: {summary['total']} objects " + json.dumps({k: v for k, v in summary.items() if k != "total"})
        )


@optical_app.command()
def change(
    before: Annotated[Path, typer.Argument(help="Earlier image (file or Sentinel-2 band directory).")],
    after: Annotated[Path, typer.Argument(help="Later image on the same grid.")],
    out: Annotated[Path | None, typer.Option("--out", help="Write the change mask (PNG, 255 = change).")] = None,
    gsd_m: Annotated[
        float | None, typer.Option("--gsd-m", help="Pixel size (m) for images with no georeference; default 10.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Change mask, changed area (m²) and changed regions between two images (learned model)."""
    from darkfleet.imagery.optical.pipeline import change_between, write_mask_png
    from darkfleet.imagery.optical.readers import ReadError

    try:
        _, res = change_between(before, after, gsd_m=gsd_m)
    except (ReadError, ValueError) as exc:
        _fail(str(exc))
        return
    if out is not None:
        write_mask_png(res.mask, out)
    doc = {
        "before": str(before),
        "after": str(after),
        "method": res.method,
        "coregistered": res.coregistered,
        "shift_px": list(res.shift_px),
        "threshold": res.threshold,
        "changed_area_m2": res.changed_area_m2,
        "changed_fraction": res.changed_fraction,
        "n_regions": len(res.polygons_px),
        "regions_px": [p.__geo_interface__ for p in res.polygons_px],
    }
    if as_json:
        typer.echo(json.dumps(doc))
    else:
        warn = "" if res.coregistered else f"  WARNING: images misregistered by {res.shift_px} px"
        typer.echo(f"changed area {res.changed_area_m2:,.0f} m² in {len(res.polygons_px)} regions{warn}")


@optical_app.command()
def activity(
    site: Annotated[str, typer.Argument(help="Name of the watched place.")],
    images: Annotated[
        list[Path], typer.Argument(help="Images of the site, any order (Sentinel-2 directories for ships).")
    ],
    kind: Annotated[str, typer.Option(help="ships (vessels at berth) or count (objects, with --preset).")] = "ships",
    preset: Annotated[str, typer.Option(help="Count preset for --kind count.")] = "vehicles",
    gsd_m: Annotated[float | None, typer.Option("--gsd-m", help="Pixel size for images with no georeference.")] = None,
    chart: Annotated[Path | None, typer.Option("--chart", help="Write the time series as an SVG chart.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the series as JSON.")] = False,
) -> None:
    """Time series of activity at a site with a surge flag against its own baseline."""
    import polars as pl

    from darkfleet.imagery.optical.activity import flag_surges, svg_chart
    from darkfleet.imagery.optical.pipeline import count_in, scene_sha256, ships_in

    rows = []
    for img in images:
        if kind == "ships":
            scene, det = ships_in(img)
            value = float(det.height)
        elif kind == "count":
            scene, det = count_in(img, gsd_m, preset)
            value = float(det.height)
        else:
            _fail(f"--kind must be ships or count, got {kind!r}")
            return
        when = scene.acquired_at or datetime.fromtimestamp(img.stat().st_mtime, UTC)
        rows.append(
            {
                "site": site,
                "image_id": scene.scene_id,
                "sha256": scene_sha256(scene),
                "acquired_at": when,
                "metric": "vessels" if kind == "ships" else f"{preset}",
                "value": value,
            }
        )
    series = flag_surges(pl.DataFrame(rows))
    if chart is not None:
        chart.write_text(svg_chart(series, f"{site}: activity"))
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {k: (v.isoformat() if isinstance(v, datetime) else _clean(v)) for k, v in r.items()}
                    for r in series.iter_rows(named=True)
                ]
            )
        )
    else:
        for r in series.iter_rows(named=True):
            typer.echo(f"{r['acquired_at']:%Y-%m-%d} {r['metric']}={r['value']:.0f}{'  SURGE' if r['surge'] else ''}")


@optical_app.command()
def confirm(
    image: Annotated[Path, typer.Argument(help="The image (file or scene directory) the analyst checked.")],
    kind: Annotated[str, typer.Option(help="ships, count or change.")],
    counts: Annotated[str, typer.Option(help="Confirmed counts as JSON, e.g. '{\"total\": 48}'.")],
    analyst: Annotated[str, typer.Option(help="Who confirmed.")],
    lake: Annotated[Path, typer.Option("--lake", help="Lake directory.")],
    site: Annotated[str | None, typer.Option(help="Watched place.")] = None,
    gsd_m: Annotated[float | None, typer.Option("--gsd-m")] = None,
) -> None:
    """Store an analyst-confirmed observation (Parquet under LAKE/observations/ until the case store)."""
    from darkfleet.imagery.optical.observations import Observation, store_observation
    from darkfleet.imagery.optical.pipeline import scene_sha256
    from darkfleet.imagery.optical.readers import ReadError, read_scene

    try:
        parsed = json.loads(counts)
        if not isinstance(parsed, dict) or not all(isinstance(v, int) for v in parsed.values()):
            raise ValueError
    except ValueError:
        _fail(f"--counts must be a JSON object of integers, got {counts!r}")
        return
    try:
        scene = read_scene(image, gsd_m=gsd_m or 1.0)
    except ReadError as exc:
        _fail(str(exc))
        return
    obs = Observation(
        image_id=scene.scene_id,
        sha256=scene_sha256(scene),
        analyst=analyst,
        confirmed_at=datetime.now(UTC),
        kind=kind,
        counts=parsed,
        method_version="analyst",
        acquired_at=scene.acquired_at,
        site=site,
    )
    path = store_observation(lake, obs)
    typer.echo(f"stored {obs.observation_id} in {path}")


@optical_app.command()
def train(
    what: Annotated[str, typer.Argument(help="ships (sen2ships ports) or change (OSCD city pairs).")],
    data: Annotated[Path, typer.Option("--data", help="The shared data directory (holds optical/).")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Model file to write (default: the packaged model's path).")
    ] = None,
    evaluate: Annotated[
        bool, typer.Option("--evaluate", help="Also print the held-out (leave-one-out) scores.")
    ] = False,
    seed: Annotated[int, typer.Option(help="Random seed of the training.")] = 0,
) -> None:
    """Retrain a packaged optical classifier from the shared data (needs scikit-learn)."""
    try:
        import sklearn  # noqa: F401
    except ImportError:
        _fail("training needs scikit-learn (pip install scikit-learn)")
        return
    from darkfleet.imagery.optical.scoring import Score

    if what == "ships":
        from darkfleet.imagery.optical import ship_model as sm

        ports = sm.load_ports(data / "optical" / "sen2ships")
        if not ports:
            _fail(f"no sen2ships ports under {data / 'optical' / 'sen2ships'}")
            return
        train_params = sm.TrainParams(seed=seed)
        if evaluate:
            folds = sm.leave_one_port_out(ports, train_params)
            for f in folds:
                typer.echo(f"held out {f.port}: threshold {f.threshold:.3f} {json.dumps(f.score.as_dict())}")
            total = sum((f.score for f in folds), Score(0, 0, 0))
            typer.echo(f"held out overall: {json.dumps(total.as_dict())}")
        model = sm.train_packaged_model(ports, train_params)
        path = out or sm.MODEL_PATH
    elif what == "change":
        from darkfleet.imagery.optical import change_model as cm

        pairs = cm.load_pairs(cm.oscd_pairs(data / "optical" / "oscd"))
        if len(pairs) < 3:
            _fail(f"need at least three labelled OSCD cities under {data / 'optical' / 'oscd'}")
            return
        change_params = cm.ChangeTrainParams(seed=seed)
        held = None
        if evaluate:
            results, held = cm.leave_one_city_out(pairs, change_params)
            for r in results:
                typer.echo(
                    f"held out {r.name}: count factor {r.factor} (threshold {r.threshold:.3f}) "
                    f"{json.dumps(r.score.as_dict())}"
                )
            total = sum((r.score for r in results), Score(0, 0, 0))
            typer.echo(f"held out pooled: {json.dumps(total.as_dict())}")
        model = cm.train_packaged_model(pairs, change_params, held=held)
        path = out or cm.MODEL_PATH
    else:
        _fail(f"train ships or change, not {what!r}")
        return
    model.save(path)
    typer.echo(
        f"wrote {path} ({path.stat().st_size:,} bytes, {model.n_trees} trees, "
        + (f"threshold {model.meta['threshold']:.3f})" if "threshold" in model.meta
           else f"count factor {model.meta['count_factor']})")
    )
