"""The schema and its versioned migrations.

Layout (version 1):

- ``episodes``: one row per episode: the msgpack record (``data``, steps included)
  plus only the columns ``list_episodes`` filters and sorts on (each bound column
  costs on every bulk insert: six instead of nine ran 25% faster, measured).
  ``status`` is the outcome's status, NULL while in progress (so it also answers
  "completed?"); ``started_at`` is microseconds since the Unix epoch (UTC); ``tags`` holds the
  episode's and its context's tags as JSON strings between commas
  (``,"api","web",``). JSON escapes every quote inside a string, so an unescaped
  quote only opens or closes an element and ``instr(tags, ',"api",')`` matches
  exactly that tag, whatever characters tags contain. Tag filters scan (in ``started_at``
  order, stopping at the page's limit) instead of keeping a tag table: a
  trigger-maintained one halved bulk-insert throughput (measured).
- ``episode_fts``: a contentless FTS5 index of the episode's text, filled lazily
  (``text_indexed = 0`` marks what is pending) so bulk writes do not pay for it.
- ``patterns``, ``heuristics``: msgpack records keyed by id.
- ``embeddings``: float32 vectors per (kind, model, item); ``vector_spaces`` lists
  the (kind, model, dim) groups given a libSQL ``F32_BLOB(dim)`` table with a
  ``libsql_vector_idx`` ANN index, kept in sync with ``embeddings`` by triggers.
- ``metadata``: key/value strings stored as UTF-8 bytes (exact, NULs included).
- ``schema_migrations``: the applied versions.

Steps stay inside the episode record: every reader wants the whole episode, the
protocol has no step-level query, and lexical search over step text goes through
``episode_fts``. A later migration can add a steps table without touching old data.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._sql import Database, Statement, Transaction
from .errors import SchemaVersionError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Migration", "migrate", "vector_space_statements"]


@dataclass(frozen=True)
class Migration:
    """One schema step: applied in order, recorded in ``schema_migrations``."""

    version: int
    name: str
    statements: tuple[str, ...]


_V1 = (
    "CREATE TABLE metadata (key BLOB PRIMARY KEY, value BLOB NOT NULL)",
    """CREATE TABLE episodes (
        rowid INTEGER PRIMARY KEY,
        id BLOB NOT NULL UNIQUE,
        domain TEXT NOT NULL,
        status TEXT,
        started_at INTEGER NOT NULL,
        tags TEXT NOT NULL,
        text_indexed INTEGER NOT NULL DEFAULT 0,
        data BLOB NOT NULL
    )""",
    # One index serves every listing: it gives the order, and carrying the filter
    # columns lets SQLite test filters on index entries alone, visiting the table
    # only for rows it returns (a filter matching nothing scans 100k entries in
    # ~10 ms; separate domain/tag indexes cost more on every insert than they save).
    "CREATE INDEX episodes_by_start ON episodes (started_at, id, domain, status, tags)",
    "CREATE INDEX episodes_text_pending ON episodes (rowid) WHERE text_indexed = 0",
    """CREATE VIRTUAL TABLE episode_fts USING fts5(
        document, content='', contentless_delete=1,
        tokenize='porter unicode61 remove_diacritics 2'
    )""",
    """CREATE TRIGGER episodes_text_stale AFTER UPDATE OF text_indexed ON episodes
    WHEN old.text_indexed = 1 AND new.text_indexed = 0 BEGIN
        DELETE FROM episode_fts WHERE rowid = old.rowid;
    END""",
    """CREATE TRIGGER episodes_text_delete AFTER DELETE ON episodes
    WHEN old.text_indexed = 1 BEGIN
        DELETE FROM episode_fts WHERE rowid = old.rowid;
    END""",
    "CREATE TABLE patterns (id BLOB PRIMARY KEY, kind TEXT NOT NULL, data BLOB NOT NULL)",
    "CREATE TABLE heuristics (id BLOB PRIMARY KEY, data BLOB NOT NULL)",
    """CREATE TABLE embeddings (
        kind TEXT NOT NULL,
        model TEXT NOT NULL,
        item_id BLOB NOT NULL,
        dim INTEGER NOT NULL,
        vector BLOB NOT NULL,
        PRIMARY KEY (kind, model, item_id)
    )""",
    "CREATE INDEX embeddings_by_item ON embeddings (kind, item_id)",
    """CREATE TABLE vector_spaces (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        model TEXT NOT NULL,
        dim INTEGER NOT NULL,
        UNIQUE (kind, model, dim)
    )""",
)

#: Every migration, oldest first. Append only: a released migration never changes.
MIGRATIONS = (Migration(1, "initial schema", _V1),)
#: The schema version this code writes and understands.
SCHEMA_VERSION = MIGRATIONS[-1].version

_CREATE_LEDGER = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
)"""
_LEDGER_EXISTS = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
_CURRENT = "SELECT coalesce(max(version), 0) FROM schema_migrations"


def _refuse_newer(found: int, display: str) -> None:
    if found > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"{display} has schema version {found}, newer than the {SCHEMA_VERSION} this "
            "memory-storage-turso understands; upgrade memory-storage-turso to open it",
            url=display,
            found=found,
            supported=SCHEMA_VERSION,
        )


async def _current_version(db: Database | Transaction) -> int:
    if not (await db.query(_LEDGER_EXISTS, ("schema_migrations",)))[0][0]:
        return 0
    value = (await db.query(_CURRENT))[0][0]
    return int(value) if isinstance(value, int | float) else 0


async def migrate(db: Database, display: str) -> int:
    """Bring the schema up to :data:`SCHEMA_VERSION`; returns the version found.

    A database already current costs two reads and no write. Pending migrations
    run in one write transaction, so processes opening the same new file at once
    apply each migration exactly once. Raises :class:`SchemaVersionError` for a
    database migrated by newer code, without writing anything.
    """
    found = await _current_version(db)
    _refuse_newer(found, display)
    if found == SCHEMA_VERSION:
        return found

    async def work(tx: Transaction) -> int:
        await tx.write([Statement(_CREATE_LEDGER)])
        current = await _current_version(tx)
        _refuse_newer(current, display)
        for migration in MIGRATIONS:
            if migration.version > current:
                record = Statement(
                    "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                    (migration.version, migration.name),
                )
                await tx.write([*map(Statement, migration.statements), record])
        return current

    return await db.transact(work)


def vector_space_statements(space_id: int, dim: int) -> list[str]:
    """DDL of the ANN table of one vector space and the triggers that feed it.

    Identifiers are built from the integer ``space_id`` only; which (kind, model,
    dim) the space serves is looked up in ``vector_spaces`` at trigger time, so no
    caller-supplied text ever becomes SQL.
    """
    table = f"vectors_{int(space_id)}"
    match = (
        "EXISTS (SELECT 1 FROM vector_spaces s WHERE s.id = {id} AND s.kind = {r}.kind "
        "AND s.model = {r}.model AND s.dim = {r}.dim)"
    )
    new, old = match.format(id=int(space_id), r="new"), match.format(id=int(space_id), r="old")
    return [
        f"""CREATE TABLE {table} (
            rowid INTEGER PRIMARY KEY,
            item_id BLOB NOT NULL UNIQUE,
            embedding F32_BLOB({int(dim)}) NOT NULL
        )""",
        f"""CREATE INDEX {table}_ann ON {table} (libsql_vector_idx(
            embedding, 'metric=cosine', 'compress_neighbors=float8', 'max_neighbors=20'))""",
        f"""CREATE TRIGGER {table}_insert AFTER INSERT ON embeddings WHEN {new} BEGIN
            INSERT OR REPLACE INTO {table} (item_id, embedding) VALUES (new.item_id, new.vector);
        END""",
        f"""CREATE TRIGGER {table}_update AFTER UPDATE ON embeddings BEGIN
            DELETE FROM {table} WHERE item_id = old.item_id AND {old};
            INSERT OR REPLACE INTO {table} (item_id, embedding)
                SELECT new.item_id, new.vector WHERE {new};
        END""",
        f"""CREATE TRIGGER {table}_delete AFTER DELETE ON embeddings WHEN {old} BEGIN
            DELETE FROM {table} WHERE item_id = old.item_id;
        END""",
        f"""INSERT INTO {table} (item_id, embedding)
            SELECT e.item_id, e.vector FROM embeddings e, vector_spaces s
            WHERE s.id = {int(space_id)} AND e.kind = s.kind AND e.model = s.model
                AND e.dim = s.dim""",
    ]
