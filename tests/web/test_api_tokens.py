"""``darkfleet token add|list|revoke`` and the api_tokens migration (no demo lake needed)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect
from typer.testing import CliRunner

from darkfleet.cli import app

runner = CliRunner()


def test_token_commands(tmp_path: Path) -> None:
    from darkfleet.cases.store import CaseStore, store_url
    from darkfleet.web.auth import Role, user_for_token

    r = runner.invoke(app, ["token", "add", "ana", "--role", "analyst", "--lake", str(tmp_path)])
    assert r.exit_code == 0, r.output
    token = r.stdout.strip().splitlines()[-1]
    assert token.startswith("dft_") and len(token) > 40
    store = CaseStore.open(store_url(tmp_path))
    assert user_for_token(store, token) == user_for_token(store, token) is not None
    user = user_for_token(store, token)
    assert user is not None and (user.name, user.role) == ("ana", Role.analyst)

    r = runner.invoke(app, ["token", "list", "--lake", str(tmp_path)])
    assert r.exit_code == 0 and "ana" in r.output and "analyst" in r.output and token not in r.output
    assert hashlib.sha256(token.encode()).hexdigest() not in r.output

    again = runner.invoke(app, ["token", "add", "ana", "--role", "viewer", "--lake", str(tmp_path)])
    assert again.exit_code == 2 and "exists already" in again.output
    bad = runner.invoke(app, ["token", "add", "bo", "--role", "boss", "--lake", str(tmp_path)])
    assert bad.exit_code == 2 and "viewer, analyst, admin" in bad.output
    odd = runner.invoke(app, ["token", "add", "../bo", "--role", "viewer", "--lake", str(tmp_path)])
    assert odd.exit_code == 2

    r = runner.invoke(app, ["token", "revoke", "ana", "--lake", str(tmp_path)])
    assert r.exit_code == 0
    assert user_for_token(store, token) is None
    assert runner.invoke(app, ["token", "revoke", "nobody", "--lake", str(tmp_path)]).exit_code == 2


def test_user_for_token_refuses_junk(tmp_path: Path) -> None:
    from darkfleet.cases.store import CaseStore, store_url
    from darkfleet.web.auth import add_token, user_for_token

    store = CaseStore.open(store_url(tmp_path))
    token = add_token(store, "x", "viewer")
    for junk in ("", token[:-1], token + "a", token.upper(), "x" * 10_000, hashlib.sha256(token.encode()).hexdigest()):
        assert user_for_token(store, junk) is None


def test_migration_0002_upgrades_an_existing_store(tmp_path: Path) -> None:
    """A store made before the web application (at revision 0001) gains api_tokens when opened."""
    from darkfleet.cases import migrations
    from darkfleet.cases.store import CaseStore

    url = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    engine = create_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", os.path.dirname(migrations.__file__))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    assert "api_tokens" not in inspect(engine).get_table_names()
    store = CaseStore.open(url)
    assert "api_tokens" in store.tables()
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0002"
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    assert "api_tokens" not in inspect(engine).get_table_names()


def test_serve_refuses_a_missing_lake(tmp_path: Path) -> None:
    r = runner.invoke(app, ["serve", "--lake", str(tmp_path / "nope")])
    assert r.exit_code == 2 and "no lake" in r.output


@pytest.mark.parametrize("role", ["viewer", "analyst", "admin"])
def test_role_order(role: str) -> None:
    from darkfleet.web.auth import Role, User

    u = User("u", Role(role))
    assert u.may(Role.viewer)
    assert u.may(Role.analyst) == (role != "viewer")
    assert u.may(Role.admin) == (role == "admin")
