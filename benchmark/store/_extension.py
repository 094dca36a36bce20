"""``StoreExtension``: tables an application keeps in the results database.

An extension names its tables in its own ``sqlalchemy.MetaData`` (the same
``JSONText`` type and ``run_id_fk()`` foreign keys as the core tables);
``Store.extend(ext)`` creates the ones missing, never touching existing tables
or rows, so a database made before the extension existed opens unchanged.
Rows go in and out through ``Store.connect()`` (reads) and
``Store.transaction()`` (one serialised write transaction).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

__all__ = ["StoreExtension"]


@dataclass(frozen=True)
class StoreExtension:
    """``name``: who owns the tables (for messages); ``metadata``: the tables."""

    name: str
    metadata: sa.MetaData

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(self.metadata.tables)
