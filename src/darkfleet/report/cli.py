"""``darkfleet report``: write a case's report and exports (registered by ``darkfleet.cli``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

err = Console(stderr=True)


def report(
    case: Annotated[str, typer.Option("--case", help="The case's name in the case store.")],
    lake: Annotated[Path, typer.Option("--lake", help="The lake directory (with its case store).")],
    out: Annotated[Path, typer.Option("--out", help="Directory for report.html and the exports.")],
    findings: Annotated[Path | None, typer.Option(
        "--findings", help="Findings JSON (default: LAKE/findings.json when present).")] = None,
    pdf: Annotated[bool, typer.Option("--pdf", help="Also write report.pdf (needs WeasyPrint).")] = False,
) -> None:
    """Write the case report: HTML (and PDF) with map, timelines, counts, sanctions, evidence; exports beside it."""
    from darkfleet.cases.store import StoreError
    from darkfleet.report.model import FindingsError
    from darkfleet.report.render import PdfUnavailable, write_report

    try:
        with err.status("writing the report", spinner="dots"):
            path = write_report(lake, case, out, findings, pdf)
    except (FindingsError, StoreError, FileNotFoundError, NotADirectoryError, PdfUnavailable) as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(2) from exc
    typer.echo(str(path))
    if pdf:
        typer.echo(str(path.with_name("report.pdf")))
