"""The full-text index, kept by the database itself (docs/learning.md, "Search").

Three kinds of text are searched: observations (their description), lessons (a reflection's
three answers with its card's title, problem and countermeasure) and five-whys records
(problem, root cause, countermeasure and every why/because step).

- SQLite: one FTS5 table per kind (`observation_fts`, `lesson_fts`, `root_cause_fts`), with
  the `porter unicode61 remove_diacritics 2` tokenizer: English stemming ("waits", "waiting"
  and "waited" meet) on words split by Unicode rules, accents folded ("café" finds "cafe").
  `observation_fts` reads its text from `observation` itself (an external-content table, so
  100,000 descriptions are not stored twice); the other two keep their own copy, since
  their text comes from two tables. Triggers on the source tables keep all three in step.
- PostgreSQL: `observation.search_vector`, a generated `tsvector` column (PostgreSQL keeps
  it in step), and the tables `lesson_fts` and `root_cause_fts` (a `tsvector` per row, kept
  in step by triggers), each with a GIN index; the `english` text-search configuration.

None of this is mapped by a model: the services query it through `kaizen/services/search.py`.
The statements are attached to their tables so that `create_all` builds them as the
migration `0012_search` does; `include_in_autogenerate` keeps Alembic's comparison away from
them, since no model describes them.
"""

from __future__ import annotations

from sqlalchemy import DDL, event

from kaizen.models.observation import Observation
from kaizen.models.reflection import Reflection
from kaizen.models.root_cause import WhyStep

# Stemming and accents: see docs/learning.md for why English (the languages issue may
# revisit it).
SQLITE_TOKENIZER = "porter unicode61 remove_diacritics 2"
POSTGRES_CONFIG = "english"

SEARCH_TABLES = ("observation_fts", "lesson_fts", "root_cause_fts")
# PostgreSQL's own tables of the index (observations keep theirs in a column).
POSTGRES_SEARCH_TABLES = ("lesson_fts", "root_cause_fts")
# PostgreSQL: the generated column on `observation` and its GIN index.
SEARCH_COLUMN = ("observation", "search_vector")
SEARCH_INDEX = "ix_observation_search_vector"


def is_search_table(name: str) -> bool:
    """Whether a table belongs to the full-text index (FTS5 makes `<name>_data`, `_idx`,
    `_docsize` and `_config` beside each of its tables)."""
    return any(name == table or name.startswith(f"{table}_") for table in SEARCH_TABLES)


def include_in_autogenerate(name: str | None, type_: str, parent_names: dict[str, str]) -> bool:
    """Alembic's `include_name`: leave the full-text index's tables, column and index out of
    the comparison with the models, which do not describe them."""
    if name is None:
        return True
    if type_ == "table":
        return not is_search_table(name)
    if type_ == "column":
        return (parent_names.get("table_name"), name) != SEARCH_COLUMN
    if type_ == "index":
        return name != SEARCH_INDEX
    return True


# -- SQLite ------------------------------------------------------------------------------------

_LESSON_ROWS = (
    "INSERT INTO lesson_fts (rowid, title, learnt, take_forward, do_differently, problem, "
    "countermeasure) SELECT r.id, i.title, r.learnt, r.take_forward, r.do_differently, "
    "i.problem, i.countermeasure FROM reflection r JOIN improvement i ON i.id = r.improvement_id"
)
_ROOT_CAUSE_ROWS = (
    "INSERT INTO root_cause_fts (rowid, problem, root_cause, countermeasure, steps) "
    "SELECT c.id, c.problem, c.root_cause, c.countermeasure, (SELECT group_concat(s.why || ' ' "
    "|| s.because, ' ') FROM why_step s WHERE s.root_cause_id = c.id) FROM root_cause c"
)
_TOKENIZE = f"tokenize='{SQLITE_TOKENIZER}'"

SQLITE_OBSERVATION = (
    "CREATE VIRTUAL TABLE observation_fts USING fts5(description, content='observation', "
    f"content_rowid='id', {_TOKENIZE})",
    "CREATE TRIGGER observation_fts_insert AFTER INSERT ON observation BEGIN "
    "INSERT INTO observation_fts (rowid, description) VALUES (new.id, new.description); END",
    "CREATE TRIGGER observation_fts_update AFTER UPDATE OF description ON observation BEGIN "
    "INSERT INTO observation_fts (observation_fts, rowid, description) "
    "VALUES ('delete', old.id, old.description); "
    "INSERT INTO observation_fts (rowid, description) VALUES (new.id, new.description); END",
    "CREATE TRIGGER observation_fts_delete AFTER DELETE ON observation BEGIN "
    "INSERT INTO observation_fts (observation_fts, rowid, description) "
    "VALUES ('delete', old.id, old.description); END",
)
SQLITE_LESSON = (
    "CREATE VIRTUAL TABLE lesson_fts USING fts5(title, learnt, take_forward, do_differently, "
    f"problem, countermeasure, {_TOKENIZE})",
    "CREATE TRIGGER lesson_fts_insert AFTER INSERT ON reflection BEGIN "
    f"{_LESSON_ROWS} WHERE r.id = new.id; END",
    "CREATE TRIGGER lesson_fts_update AFTER UPDATE OF learnt, take_forward, do_differently, "
    "improvement_id ON reflection BEGIN DELETE FROM lesson_fts WHERE rowid = old.id; "
    f"{_LESSON_ROWS} WHERE r.id = new.id; END",
    "CREATE TRIGGER lesson_fts_delete AFTER DELETE ON reflection BEGIN "
    "DELETE FROM lesson_fts WHERE rowid = old.id; END",
    "CREATE TRIGGER lesson_fts_card AFTER UPDATE OF title, problem, countermeasure "
    "ON improvement BEGIN DELETE FROM lesson_fts WHERE rowid IN "
    "(SELECT id FROM reflection WHERE improvement_id = new.id); "
    f"{_LESSON_ROWS} WHERE r.improvement_id = new.id; END",
)
SQLITE_ROOT_CAUSE = (
    "CREATE VIRTUAL TABLE root_cause_fts USING fts5(problem, root_cause, countermeasure, "
    f"steps, {_TOKENIZE})",
    "CREATE TRIGGER root_cause_fts_insert AFTER INSERT ON root_cause BEGIN "
    f"{_ROOT_CAUSE_ROWS} WHERE c.id = new.id; END",
    "CREATE TRIGGER root_cause_fts_update AFTER UPDATE OF problem, root_cause, countermeasure "
    "ON root_cause BEGIN DELETE FROM root_cause_fts WHERE rowid = old.id; "
    f"{_ROOT_CAUSE_ROWS} WHERE c.id = new.id; END",
    "CREATE TRIGGER root_cause_fts_delete AFTER DELETE ON root_cause BEGIN "
    "DELETE FROM root_cause_fts WHERE rowid = old.id; END",
    "CREATE TRIGGER root_cause_fts_step_insert AFTER INSERT ON why_step BEGIN "
    "DELETE FROM root_cause_fts WHERE rowid = new.root_cause_id; "
    f"{_ROOT_CAUSE_ROWS} WHERE c.id = new.root_cause_id; END",
    "CREATE TRIGGER root_cause_fts_step_update AFTER UPDATE OF why, because, root_cause_id "
    "ON why_step BEGIN DELETE FROM root_cause_fts WHERE rowid IN "
    "(old.root_cause_id, new.root_cause_id); "
    f"{_ROOT_CAUSE_ROWS} WHERE c.id IN (old.root_cause_id, new.root_cause_id); END",
    "CREATE TRIGGER root_cause_fts_step_delete AFTER DELETE ON why_step BEGIN "
    "DELETE FROM root_cause_fts WHERE rowid = old.root_cause_id; "
    f"{_ROOT_CAUSE_ROWS} WHERE c.id = old.root_cause_id; END",
)
# The rows already stored (the migration's backfill).
SQLITE_BACKFILL = (
    "INSERT INTO observation_fts (observation_fts) VALUES ('rebuild')",
    _LESSON_ROWS,
    _ROOT_CAUSE_ROWS,
)
# Dropping a table drops its own triggers, not those on the tables its text comes from.
SQLITE_DROP_LESSON = ("DROP TRIGGER IF EXISTS lesson_fts_card", "DROP TABLE IF EXISTS lesson_fts")
SQLITE_DROP_ROOT_CAUSE = (
    "DROP TRIGGER IF EXISTS root_cause_fts_insert",
    "DROP TRIGGER IF EXISTS root_cause_fts_update",
    "DROP TRIGGER IF EXISTS root_cause_fts_delete",
    "DROP TABLE IF EXISTS root_cause_fts",
)
SQLITE_DROP_OBSERVATION = ("DROP TABLE IF EXISTS observation_fts",)

# -- PostgreSQL --------------------------------------------------------------------------------

_CONFIG = f"'{POSTGRES_CONFIG}'::regconfig"
# Weights: the card's title (A) counts most, the answers (B) next, the card's problem and
# countermeasure (C) least; SQLite's bm25 weighs its columns alike (services/search.py).
_LESSON_DOCUMENT = (
    f"setweight(to_tsvector({_CONFIG}, i.title), 'A') || "
    f"setweight(to_tsvector({_CONFIG}, concat_ws(' ', r.learnt, r.take_forward, "
    "r.do_differently)), 'B') || "
    f"setweight(to_tsvector({_CONFIG}, concat_ws(' ', i.problem, i.countermeasure)), 'C')"
)
_PG_LESSON_ROWS = (
    f"INSERT INTO lesson_fts (reflection_id, document) SELECT r.id, {_LESSON_DOCUMENT} "
    "FROM reflection r JOIN improvement i ON i.id = r.improvement_id"
)
_PG_LESSON_UPSERT = " ON CONFLICT (reflection_id) DO UPDATE SET document = EXCLUDED.document"
_ROOT_CAUSE_DOCUMENT = (
    f"setweight(to_tsvector({_CONFIG}, c.problem), 'A') || "
    f"setweight(to_tsvector({_CONFIG}, concat_ws(' ', c.root_cause, c.countermeasure)), 'B') || "
    f"setweight(to_tsvector({_CONFIG}, coalesce((SELECT string_agg(concat_ws(' ', s.why, "
    "s.because), ' ') FROM why_step s WHERE s.root_cause_id = c.id), '')), 'C')"
)
_PG_ROOT_CAUSE_ROWS = (
    f"INSERT INTO root_cause_fts (root_cause_id, document) SELECT c.id, {_ROOT_CAUSE_DOCUMENT} "
    "FROM root_cause c"
)
_PG_ROOT_CAUSE_UPSERT = " ON CONFLICT (root_cause_id) DO UPDATE SET document = EXCLUDED.document"

POSTGRES_OBSERVATION = (
    "ALTER TABLE observation ADD COLUMN search_vector tsvector "
    f"GENERATED ALWAYS AS (to_tsvector({_CONFIG}, description)) STORED",
    f"CREATE INDEX {SEARCH_INDEX} ON observation USING gin (search_vector)",
)
POSTGRES_LESSON = (
    "CREATE TABLE lesson_fts (reflection_id integer PRIMARY KEY, document tsvector NOT NULL)",
    "CREATE INDEX ix_lesson_fts_document ON lesson_fts USING gin (document)",
    "CREATE OR REPLACE FUNCTION lesson_fts_refresh() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN IF TG_OP = 'DELETE' THEN DELETE FROM lesson_fts WHERE reflection_id = OLD.id; "
    "ELSIF TG_TABLE_NAME = 'reflection' THEN "
    f"{_PG_LESSON_ROWS} WHERE r.id = NEW.id{_PG_LESSON_UPSERT}; "
    f"ELSE {_PG_LESSON_ROWS} WHERE r.improvement_id = NEW.id{_PG_LESSON_UPSERT}; END IF; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER lesson_fts_reflection AFTER INSERT OR UPDATE OF learnt, take_forward, "
    "do_differently, improvement_id OR DELETE ON reflection FOR EACH ROW "
    "EXECUTE FUNCTION lesson_fts_refresh()",
    "CREATE TRIGGER lesson_fts_card AFTER UPDATE OF title, problem, countermeasure "
    "ON improvement FOR EACH ROW EXECUTE FUNCTION lesson_fts_refresh()",
)
POSTGRES_ROOT_CAUSE = (
    "CREATE TABLE root_cause_fts (root_cause_id integer PRIMARY KEY, document tsvector NOT NULL)",
    "CREATE INDEX ix_root_cause_fts_document ON root_cause_fts USING gin (document)",
    # OLD is NULL for an inserted step and NEW for a deleted one.
    "CREATE OR REPLACE FUNCTION root_cause_fts_refresh() RETURNS trigger LANGUAGE plpgsql "
    "AS $$ BEGIN IF TG_TABLE_NAME = 'root_cause' AND TG_OP = 'DELETE' THEN "
    "DELETE FROM root_cause_fts WHERE root_cause_id = OLD.id; "
    "ELSIF TG_TABLE_NAME = 'root_cause' THEN "
    f"{_PG_ROOT_CAUSE_ROWS} WHERE c.id = NEW.id{_PG_ROOT_CAUSE_UPSERT}; "
    f"ELSE {_PG_ROOT_CAUSE_ROWS} WHERE c.id IN (OLD.root_cause_id, NEW.root_cause_id)"
    f"{_PG_ROOT_CAUSE_UPSERT}; END IF; RETURN NULL; END $$",
    "CREATE TRIGGER root_cause_fts_record AFTER INSERT OR UPDATE OF problem, root_cause, "
    "countermeasure OR DELETE ON root_cause FOR EACH ROW "
    "EXECUTE FUNCTION root_cause_fts_refresh()",
    "CREATE TRIGGER root_cause_fts_step AFTER INSERT OR UPDATE OF why, because, root_cause_id "
    "OR DELETE ON why_step FOR EACH ROW EXECUTE FUNCTION root_cause_fts_refresh()",
)
# The generated column fills itself when it is added; the two tables need their rows.
POSTGRES_BACKFILL = (_PG_LESSON_ROWS, _PG_ROOT_CAUSE_ROWS)
# Before the source table goes, with the trigger on the other table that calls the function.
# (No foreign key ties a search table to its rows: its triggers remove a row's entry, as on
# SQLite, so no table of the models ever depends on the index.)
POSTGRES_DROP_LESSON = (
    "DROP TRIGGER IF EXISTS lesson_fts_card ON improvement",
    "DROP TABLE IF EXISTS lesson_fts",
)
POSTGRES_DROP_ROOT_CAUSE = (
    "DROP TRIGGER IF EXISTS root_cause_fts_record ON root_cause",
    "DROP TABLE IF EXISTS root_cause_fts",
)
# After it has gone (with its own trigger).
POSTGRES_DROP_FUNCTIONS = {
    "lesson": ("DROP FUNCTION IF EXISTS lesson_fts_refresh()",),
    "root_cause": ("DROP FUNCTION IF EXISTS root_cause_fts_refresh()",),
}


def _attach(target: object, when: str, dialect: str, statements: tuple[str, ...]) -> None:
    for statement in statements:
        event.listen(target, when, DDL(statement).execute_if(dialect=dialect))


# Each kind is built after the last table its text comes from (a reflection's card exists
# before the reflection table; a record before its steps), and goes before that table does.
_attach(Observation.__table__, "after_create", "sqlite", SQLITE_OBSERVATION)
_attach(Observation.__table__, "after_create", "postgresql", POSTGRES_OBSERVATION)
_attach(Observation.__table__, "after_drop", "sqlite", SQLITE_DROP_OBSERVATION)
_attach(Reflection.__table__, "after_create", "sqlite", SQLITE_LESSON)
_attach(Reflection.__table__, "after_create", "postgresql", POSTGRES_LESSON)
_attach(Reflection.__table__, "before_drop", "sqlite", SQLITE_DROP_LESSON)
_attach(Reflection.__table__, "before_drop", "postgresql", POSTGRES_DROP_LESSON)
_attach(Reflection.__table__, "after_drop", "postgresql", POSTGRES_DROP_FUNCTIONS["lesson"])
_attach(WhyStep.__table__, "after_create", "sqlite", SQLITE_ROOT_CAUSE)
_attach(WhyStep.__table__, "after_create", "postgresql", POSTGRES_ROOT_CAUSE)
_attach(WhyStep.__table__, "before_drop", "sqlite", SQLITE_DROP_ROOT_CAUSE)
_attach(WhyStep.__table__, "before_drop", "postgresql", POSTGRES_DROP_ROOT_CAUSE)
_attach(WhyStep.__table__, "after_drop", "postgresql", POSTGRES_DROP_FUNCTIONS["root_cause"])
