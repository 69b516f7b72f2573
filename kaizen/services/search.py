"""Searching text through the database's own full-text engine (kaizen/models/search.py):
what a person typed made into a safe query, the rows that match it, best match first.

What someone types is never handed to the engine as a query language. It is cut into words
(letters and digits; quotes, `*`, `-`, brackets, `NEAR(`, control characters and the like
are dropped), lower-cased, and common English words are left out; then each word is quoted
for FTS5 (`"waiting" "forklift"`) or given to `plainto_tsquery` / `to_tsquery` on
PostgreSQL as plain words. So no input can make the search fail, however odd or long.

Both engines stem the words the same way they stemmed the text ("waiting" finds "waited")
and rank the matches: bm25 on SQLite, ts_rank on PostgreSQL (docs/learning.md).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, TypeVarTuple

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Text,
    bindparam,
    column,
    func,
    literal,
    literal_column,
    select,
    table,
    union_all,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.expression import TableClause

from kaizen.models import Observation, Reflection, RootCause
from kaizen.models.search import POSTGRES_CONFIG
from kaizen.services import DbSession

# PostgreSQL's `english` stop words (its english.stop, Snowball's list): PostgreSQL drops them
# from text and queries alike, and FTS5 indexes them, so the query leaves them out on both
# databases and "waiting for the forklift" asks for the same two words everywhere.
STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves what which
    who whom this that these those am is are was were be been being have has had having do
    does did doing a an the and but if or because as until while of at by for with about
    against between into through during before after above below to from up down in out on
    off over under again further then once here there when where why how all any both each
    few more most other some such no nor not only own same so than too very s t can will
    just don should now""".split()
)
# A search reads at most this much of what was typed, and this many words of it.
MAX_TEXT = 1000
MAX_WORDS = 16
MAX_WORD_LENGTH = 64
_WORD = re.compile(r"[^\W_]+")


def search_words(text: str) -> list[str]:
    """The words of a search as the index is asked for them: letters and digits only, lower
    case, common English words left out, each once, at most MAX_WORDS."""
    folded = unicodedata.normalize("NFKC", text[:MAX_TEXT]).casefold()
    words: list[str] = []
    for word in _WORD.findall(folded):
        word = word[:MAX_WORD_LENGTH]
        if word not in STOP_WORDS and word not in words:
            words.append(word)
            if len(words) == MAX_WORDS:
                break
    return words


@dataclass(frozen=True)
class Index:
    """One kind of searchable text: the id it indexes, and where each database keeps it."""

    key: InstrumentedAttribute[int]  # the indexed row's id: the FTS5 rowid
    fts: str  # the FTS5 table (SQLite)
    weights: tuple[float, ...]  # bm25's weight for each FTS5 column, in order
    vector: str  # PostgreSQL: the tsvector column ...
    vector_table: str | None = None  # ... of this table (None: of the indexed row's own) ...
    vector_key: str = "id"  # ... whose column is equal to `key`


OBSERVATIONS = Index(Observation.id, "observation_fts", (1.0,), "observation.search_vector")
# The card's title counts most, the answers next, the card's problem and countermeasure
# least; PostgreSQL weighs them A, B and C (kaizen/models/search.py).
LESSONS = Index(
    Reflection.id, "lesson_fts", (4.0, 2.0, 2.0, 2.0, 1.0, 1.0), "document", "lesson_fts",
    "reflection_id",
)  # fmt: skip
ROOT_CAUSES = Index(
    RootCause.id, "root_cause_fts", (4.0, 2.0, 2.0, 1.0), "document", "root_cause_fts",
    "root_cause_id",
)  # fmt: skip

_CONFIG: ColumnElement[Any] = literal_column(f"'{POSTGRES_CONFIG}'::regconfig")
# ts_rank's normalisation 1: divide by 1 + the logarithm of the text's length, so a short
# text that is all about the words comes before a long one that mentions them, as bm25 does.
_LENGTH_NORMALISED = 1

_Row = TypeVarTuple("_Row")


def _postgresql(session: DbSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _fts_match(index: Index, words: list[str], any_word: bool) -> ColumnElement[bool]:
    """FTS5's MATCH with a query of quoted words: every word (AND), or any of them (OR)."""
    query = (" OR " if any_word else " ").join(f'"{word}"' for word in words)
    return literal_column(index.fts).op("MATCH")(bindparam(None, query, type_=Text))


def _tsquery(words: list[str], any_word: bool) -> ColumnElement[Any]:
    """A PostgreSQL tsquery of plain words: every word, or any of them."""
    if any_word:
        # The words are letters and digits only (search_words), so "a | b" is all to_tsquery
        # can read in them.
        return func.to_tsquery(_CONFIG, bindparam(None, " | ".join(words), type_=Text))
    return func.plainto_tsquery(_CONFIG, bindparam(None, " ".join(words), type_=Text))


def _vector(index: Index) -> tuple[ColumnElement[Any], TableClause | None]:
    """The tsvector, and the table to join for it (None: it is a column of the row)."""
    if index.vector_table is None:
        return literal_column(index.vector, TSVECTOR), None
    found = table(
        index.vector_table, column(index.vector_key, Integer), column(index.vector, TSVECTOR)
    )
    return found.c[index.vector], found


def _fts(index: Index) -> TableClause:
    return table(index.fts, column("rowid", Integer))


def matching(
    session: DbSession,
    query: Select[*_Row],
    index: Index,
    words: list[str],
    *,
    any_word: bool = False,
) -> tuple[Select[*_Row], ColumnElement[Any]]:
    """`query` (whose FROM holds the index's table) kept to the rows whose text holds every
    word (or any, with `any_word`), and an expression that sorts the best match first."""
    if _postgresql(session):
        tsquery = _tsquery(words, any_word)
        vector, found = _vector(index)
        if found is not None:
            query = query.join(found, found.c[index.vector_key] == index.key)
        rank = func.ts_rank(vector, tsquery, _LENGTH_NORMALISED)
        return query.where(vector.op("@@")(tsquery)), -rank
    fts = _fts(index)
    query = query.join(fts, fts.c.rowid == index.key).where(_fts_match(index, words, any_word))
    return query, func.bm25(literal_column(index.fts), *[literal(w) for w in index.weights])


def holding(session: DbSession, index: Index, words: list[str]) -> ColumnElement[bool]:
    """A condition for the rows whose text holds every word: for counting, where no rank is
    needed (FTS5 then counts its matches without joining them row by row)."""
    if _postgresql(session):
        vector, found = _vector(index)
        held = vector.op("@@")(_tsquery(words, False))
        if found is None:
            return held
        return index.key.in_(select(found.c[index.vector_key]).where(held))
    fts = _fts(index)
    return index.key.in_(select(fts.c.rowid).where(_fts_match(index, words, False)))


def words_held(
    session: DbSession, index: Index, ids: list[int], words: list[str]
) -> dict[int, list[str]]:
    """Which of the words each of these rows' text holds, in the order given (one query)."""
    if not ids or not words:
        return {}
    parts = []
    for number, word in enumerate(words):
        part, _rank = matching(
            session, select(literal(number).label("word"), index.key.label("id")), index, [word]
        )
        parts.append(part.where(index.key.in_(ids)))
    held: dict[int, list[str]] = {row_id: [] for row_id in ids}
    for number, row_id in sorted((n, i) for n, i in session.execute(union_all(*parts))):
        held[row_id].append(words[number])
    return held
