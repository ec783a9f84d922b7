"""The `darkfleet` command: one sub-command per job, each a thin layer over a library call."""

import typer

app = typer.Typer(no_args_is_help=True, help="darkfleet: AIS, imagery and sanctions evidence.")


@app.callback()
def main() -> None:
    """darkfleet: find and document sanctions-evading shipments."""
