"""API tokens and roles: who is asking, and may they.

A token is shown once, when ``darkfleet token add`` creates it; the case store keeps only its
SHA-256 (table ``api_tokens``). A request sends ``Authorization: Bearer <token>``; the token's
name is the user every write of that request is recorded under. Roles are ordered: a
``viewer`` reads, an ``analyst`` also writes observations, notes, judgements and reports, an
``admin`` also loads data.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select

from darkfleet.cases.models import ApiToken
from darkfleet.cases.store import CaseStore, StoreError

TOKEN_PREFIX = "dft_"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")


class Role(StrEnum):
    viewer = "viewer"
    analyst = "analyst"
    admin = "admin"

    @property
    def rank(self) -> int:
        return ROLE_ORDER.index(self)


ROLE_ORDER = (Role.viewer, Role.analyst, Role.admin)


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: Role

    def may(self, role: Role) -> bool:
        return self.role.rank >= role.rank


@dataclass(frozen=True, slots=True)
class TokenInfo:
    name: str
    role: str
    created_at: datetime
    revoked_at: datetime | None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_token(store: CaseStore, name: str, role: Role | str) -> str:
    """Create a token for ``name``; returns the token (the only time it exists in clear)."""
    if not NAME_RE.match(name):
        raise StoreError(f"token name {name!r}: use 1-100 letters, digits, '.', '_', '@' or '-', starting with "
                         "a letter or digit (it is recorded as the user of every write)")
    try:
        role = Role(role)
    except ValueError as exc:
        raise StoreError(f"role {role!r} is not one of {', '.join(Role)}") from exc
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.session() as s:
        old = s.scalar(select(ApiToken).where(ApiToken.name == name))
        if old is not None:
            state = "revoked" if old.revoked_at else "active"
            raise StoreError(f"a token named {name!r} exists already ({state}); choose another name")
        s.add(ApiToken(name=name, role=role.value, token_sha256=token_hash(token), created_at=datetime.now(UTC)))
    return token


def list_tokens(store: CaseStore) -> list[TokenInfo]:
    with store.session() as s:
        rows = s.scalars(select(ApiToken).order_by(ApiToken.name))
        return [TokenInfo(r.name, r.role, r.created_at, r.revoked_at) for r in rows]


def revoke_token(store: CaseStore, name: str) -> None:
    with store.session() as s:
        row = s.scalar(select(ApiToken).where(ApiToken.name == name))
        if row is None:
            raise StoreError(f"no token named {name!r}")
        if row.revoked_at is None:
            row.revoked_at = datetime.now(UTC)


def user_for_token(store: CaseStore, token: str) -> User | None:
    """The user of a valid (known, not revoked) token, else None."""
    if not token or len(token) > 200:
        return None
    digest = token_hash(token)
    with store.session() as s:
        row = s.scalar(select(ApiToken).where(ApiToken.token_sha256 == digest, ApiToken.revoked_at.is_(None)))
        if row is None or not secrets.compare_digest(row.token_sha256, digest):
            return None
        return User(row.name, Role(row.role))


# -- FastAPI dependencies ----------------------------------------------------------------------

bearer = HTTPBearer(auto_error=False, description="An API token from `darkfleet token add NAME --role ROLE`.")


class AuthError(Exception):
    """401 (no valid token) or 403 (role too low); rendered as the JSON error body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def current_user(request: Request,
                 credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> User:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthError(401, "this endpoint needs an API token: send 'Authorization: Bearer <token>'")
    user = user_for_token(request.app.state.web.store, credentials.credentials)
    if user is None:
        raise AuthError(401, "the API token is not valid (unknown or revoked)")
    return user


def require(role: Role) -> Callable[[User], User]:
    """A dependency that passes users with at least ``role`` and refuses the others with 403."""

    def check(user: Annotated[User, Depends(current_user)]) -> User:
        if not user.may(role):
            raise AuthError(403, f"user {user.name!r} has role {user.role.value}; this needs {role.value}")
        return user

    check.__name__ = f"require_{role.value}"
    return check


Viewer = Annotated[User, Depends(require(Role.viewer))]
Analyst = Annotated[User, Depends(require(Role.analyst))]
Admin = Annotated[User, Depends(require(Role.admin))]
