"""The ledger's tables, declared with SQLModel, and the statements the hot paths reuse.

    ledger_meta         origin and verifier key, written once at init
    ledger_entries      seq, leaf hash, kind, the exact entry bytes
    ledger_nodes        every perfect subtree hash above the leaves, keyed by (level, index)
    ledger_checkpoints  one signed checkpoint note per append transaction
    ledger_decisions    lookup index: model@version and leaf hash to seq
    ledger_cosignatures witnesses' cosignature/v1 lines, by checkpoint size and witness key
    ledger_derived_state the governance state the entries add up to, one row per value
                        (governance/derived.py): derived, rewritten by appends, checked by verify

These declarations are what the code queries; the tables themselves, with their append-only
guard triggers, are created by the migrations in ``store/migrations`` (tests/store/
test_migrations.py checks that the two agree). The hot paths use SQLAlchemy Core on the
``Table`` objects below (``META`` ... ``DECISIONS``) rather than the ORM classes.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    select,
)
from sqlmodel import Field, SQLModel

from ledger.tlog.merkle import NodeId

LEVEL_SHIFT = 40  # node id = level << 40 | index: 2^40 leaves is far beyond any ledger
INDEX_MASK = (1 << LEVEL_SHIFT) - 1


def node_key(node: NodeId) -> int:
    """The ``ledger_nodes.id`` of the perfect subtree ``(level, index)``."""
    level, index = node
    return (level << LEVEL_SHIFT) | index


class LedgerMeta(SQLModel, table=True):
    __tablename__ = "ledger_meta"
    key: str = Field(sa_column=Column(String(64), primary_key=True))
    value: str = Field(sa_column=Column(Text, nullable=False))


class EntryRow(SQLModel, table=True):
    __tablename__ = "ledger_entries"
    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    leaf_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False, unique=True))
    kind: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class NodeRow(SQLModel, table=True):
    __tablename__ = "ledger_nodes"
    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))


class CheckpointRow(SQLModel, table=True):
    __tablename__ = "ledger_checkpoints"
    size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    root: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    note: str = Field(sa_column=Column(Text, nullable=False))


class DecisionRow(SQLModel, table=True):
    __tablename__ = "ledger_decisions"
    __table_args__ = (UniqueConstraint("model", "version", name="uq_decision_model_version"),)
    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    model: str = Field(sa_column=Column(String(200), nullable=False))
    version: str = Field(sa_column=Column(String(200), nullable=False))
    leaf_hex: str = Field(sa_column=Column(String(64), nullable=False, index=True))


class CosignatureRow(SQLModel, table=True):
    __tablename__ = "ledger_cosignatures"
    size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    witness: str = Field(sa_column=Column(String(300), primary_key=True))
    line: str = Field(sa_column=Column(Text, nullable=False))
    received_at: str = Field(sa_column=Column(String(40), nullable=False))


class DerivedStateRow(SQLModel, table=True):
    __tablename__ = "ledger_derived_state"
    namespace: str = Field(sa_column=Column(String(40), primary_key=True))
    key: str = Field(sa_column=Column(String(600), primary_key=True))
    value: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


DERIVED_TABLE = "ledger_derived_state"  # not in LEDGER_TABLES: rewritten by appends, no guards
COSIGNATURE_TABLE = "ledger_cosignatures"  # not in LEDGER_TABLES: a ledger before 0004 lacks it
LEDGER_TABLES = ("ledger_meta", "ledger_entries", "ledger_nodes", "ledger_checkpoints", "ledger_decisions")
META: Table = LedgerMeta.__table__  # type: ignore[attr-defined]
ENTRIES: Table = EntryRow.__table__  # type: ignore[attr-defined]
NODES: Table = NodeRow.__table__  # type: ignore[attr-defined]
CHECKPOINTS: Table = CheckpointRow.__table__  # type: ignore[attr-defined]
DECISIONS: Table = DecisionRow.__table__  # type: ignore[attr-defined]
COSIGNATURES: Table = CosignatureRow.__table__  # type: ignore[attr-defined]
DERIVED: Table = DerivedStateRow.__table__  # type: ignore[attr-defined]

# Built once: building and coercing an IN clause on every call costs more than running it.
LEAF_HASHES = select(ENTRIES.c.seq, ENTRIES.c.leaf_hash).where(
    ENTRIES.c.seq.in_(bindparam("ids", expanding=True))
)
# Plain SQL for store.driver: the hot reads of verification, read as tuples.
LEAF_RANGE_SQL = "SELECT seq, leaf_hash FROM ledger_entries WHERE seq BETWEEN ? AND ?"
NODE_RANGE_SQL = "SELECT id, hash FROM ledger_nodes WHERE id BETWEEN ? AND ?"
ENTRIES_AFTER_SQL = "SELECT seq, body, leaf_hash FROM ledger_entries WHERE seq > ? ORDER BY seq LIMIT ?"
RECORDED_PAIR_SQL = "SELECT 1 FROM ledger_decisions WHERE model = ? AND version = ?"
RECORDED_PAIRS_PG = (
    "SELECT d.model, d.version FROM ledger_decisions AS d "
    "JOIN unnest(?::text[], ?::text[]) AS w(model, version) ON d.model = w.model AND d.version = w.version"
)
NEWEST_ENTRY_SQL = "SELECT seq, leaf_hash, body FROM ledger_entries ORDER BY seq DESC LIMIT 1"
DECISION_ROWS_SQL = "SELECT seq, model, version, leaf_hex FROM ledger_decisions WHERE {where} ORDER BY seq"
ENTRIES_RANGE_SQL = "SELECT body, leaf_hash FROM ledger_entries WHERE seq >= ? AND seq < ? ORDER BY seq"
NODE_HASHES = select(NODES.c.id, NODES.c.hash).where(NODES.c.id.in_(bindparam("ids", expanding=True)))
LATEST_CHECKPOINT = (
    select(CHECKPOINTS.c.size, CHECKPOINTS.c.note).order_by(CHECKPOINTS.c.size.desc()).limit(1)
)
HEAD = select(ENTRIES.c.seq, ENTRIES.c.leaf_hash).order_by(ENTRIES.c.seq.desc()).limit(1)
CHECKPOINT_NOTES = select(CHECKPOINTS.c.note).order_by(CHECKPOINTS.c.size)
