"""``darkfleet reconstruct``: a thin layer over :func:`darkfleet.analysis.reconstruct.reconstruct`.
The lead registers it with ``app.command("reconstruct")(reconstruct)``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

out = Console()
err = Console(stderr=True, soft_wrap=True)


def reconstruct(
    lake: Annotated[Path, typer.Option("--lake", help="The lake (with events, SAR matches and its case store).")],
    case: Annotated[str, typer.Option("--case", help="The case whose sightings and counts to use.")],
    out_path: Annotated[Path | None, typer.Option("--out", help="Write the findings JSON here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
) -> None:
    """Voyages, round trips, cargo flow and sanctions exposure from every source: findings with evidence."""
    from darkfleet.analysis.findings import write_findings
    from darkfleet.analysis.reconstruct import reconstruct as run
    from darkfleet.cases.store import StoreError

    try:
        found = run(lake, case)
    except (FileNotFoundError, NotADirectoryError, ValueError, StoreError) as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    if out_path is not None:
        write_findings(found, str(out_path))
    if as_json:
        sys.stdout.write(json.dumps(found, ensure_ascii=False) + "\n")
        return
    table = Table("kind", "confidence", "claim", title=f"{len(found)} finding(s) for case {case}")
    for f in found:
        table.add_row(f["kind"], f["confidence"], escape(f["claim"]))
    out.print(table)
    if out_path is not None:
        err.print(f"findings written to {out_path}")
