"""Thresholds are data: frozen parameter dataclasses overridden from TOML tables.

A TOML file holds one table per component (``[gaps]``, ``[screen]``, ...) whose keys are the
fields of that component's parameter dataclass. Unknown tables or keys, and values the
dataclass refuses, are errors that name the file, the table and the key.
"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import Any, TypeVar

P = TypeVar("P")


def read_toml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path}: no such config file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from exc


def override(params: P, values: dict[str, Any], where: str, table: str) -> P:
    """``params`` with the fields named in ``values`` replaced (validated by the dataclass)."""
    known = {f.name for f in dataclasses.fields(params)}  # type: ignore[arg-type]
    bad = sorted(set(values) - known)
    if bad:
        raise ValueError(f"{where}: [{table}] has unknown key(s) {bad}; expected some of {sorted(known)}")
    try:
        return dataclasses.replace(params, **values)  # type: ignore[type-var]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: [{table}]: {exc}") from exc


def table_params(path: str | Path | None, table: str, default: P) -> P:
    """The ``[table]`` of a TOML file applied to ``default`` (``default`` itself without a file)."""
    if path is None:
        return default
    doc = read_toml(path)
    return override(default, doc.get(table, {}), str(path), table)
