"""The installation id, read once per process at startup (it never changes)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from orderpay.db import utcnow
from orderpay.installation.models import installation_table as installation


class NotMigrated(RuntimeError):
    """The database has no installation id: `orderpay migrate` has not run."""


async def installation_id(conn: AsyncConnection) -> str:
    found: Sequence[str] = (await conn.execute(select(installation.c.id))).scalars().all()
    if len(found) != 1:
        raise NotMigrated(
            "The database has no installation id (found "
            f"{len(found)}); run `orderpay migrate` first."
        )
    return found[0]


def new_installation_id() -> str:
    return secrets.token_hex(8)


async def renew(conn: AsyncConnection) -> str:
    """Gives this database a new installation id (see `orderpay installation renew`)."""
    await conn.execute(delete(installation))
    new_id = new_installation_id()
    await conn.execute(insert(installation).values(id=new_id, created_at=utcnow()))
    return new_id
