"""full-text search: SQLite FTS5, PostgreSQL tsvector with GIN indexes

Revision ID: 0012_search
Revises: 0011_plant_time
Create Date: 2026-12-02 09:00:00

The search of the observation list, the learning hub, the five-whys list and "tried
elsewhere?" goes through the database's own full-text engine (kaizen/models/search.py,
docs/learning.md):

- SQLite: FTS5 tables `observation_fts` (reading its text from `observation`),
  `lesson_fts` and `root_cause_fts`, tokenizer `porter unicode61 remove_diacritics 2`, kept
  in step by triggers on `observation`, `reflection`, `improvement`, `root_cause` and
  `why_step`;
- PostgreSQL: `observation.search_vector`, a generated tsvector column, and the tables
  `lesson_fts` and `root_cause_fts` kept in step by triggers; GIN indexes on all three;
  text-search configuration `english`.

Every row already stored is indexed here (the generated column fills itself when it is
added; the rest is copied in). No other data is touched; the downgrade drops only what
this revision made. A later migration that rebuilds one of those five tables on SQLite
(batch mode copies the table) drops its triggers and must make them again, as 0009 does for
`card_move`.

The statements are copied here rather than imported from the models, so this migration
keeps doing what it did when the models change later.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0012_search"
down_revision = "0011_plant_time"
branch_labels = None
depends_on = None

TOKENIZE = "tokenize='porter unicode61 remove_diacritics 2'"
LESSON_ROWS = (
    "INSERT INTO lesson_fts (rowid, title, learnt, take_forward, do_differently, problem, "
    "countermeasure) SELECT r.id, i.title, r.learnt, r.take_forward, r.do_differently, "
    "i.problem, i.countermeasure FROM reflection r JOIN improvement i ON i.id = r.improvement_id"
)
ROOT_CAUSE_ROWS = (
    "INSERT INTO root_cause_fts (rowid, problem, root_cause, countermeasure, steps) "
    "SELECT c.id, c.problem, c.root_cause, c.countermeasure, (SELECT group_concat(s.why || ' ' "
    "|| s.because, ' ') FROM why_step s WHERE s.root_cause_id = c.id) FROM root_cause c"
)
SQLITE_UP = (
    "CREATE VIRTUAL TABLE observation_fts USING fts5(description, content='observation', "
    f"content_rowid='id', {TOKENIZE})",
    "CREATE TRIGGER observation_fts_insert AFTER INSERT ON observation BEGIN "
    "INSERT INTO observation_fts (rowid, description) VALUES (new.id, new.description); END",
    "CREATE TRIGGER observation_fts_update AFTER UPDATE OF description ON observation BEGIN "
    "INSERT INTO observation_fts (observation_fts, rowid, description) "
    "VALUES ('delete', old.id, old.description); "
    "INSERT INTO observation_fts (rowid, description) VALUES (new.id, new.description); END",
    "CREATE TRIGGER observation_fts_delete AFTER DELETE ON observation BEGIN "
    "INSERT INTO observation_fts (observation_fts, rowid, description) "
    "VALUES ('delete', old.id, old.description); END",
    "CREATE VIRTUAL TABLE lesson_fts USING fts5(title, learnt, take_forward, do_differently, "
    f"problem, countermeasure, {TOKENIZE})",
    "CREATE TRIGGER lesson_fts_insert AFTER INSERT ON reflection BEGIN "
    f"{LESSON_ROWS} WHERE r.id = new.id; END",
    "CREATE TRIGGER lesson_fts_update AFTER UPDATE OF learnt, take_forward, do_differently, "
    "improvement_id ON reflection BEGIN DELETE FROM lesson_fts WHERE rowid = old.id; "
    f"{LESSON_ROWS} WHERE r.id = new.id; END",
    "CREATE TRIGGER lesson_fts_delete AFTER DELETE ON reflection BEGIN "
    "DELETE FROM lesson_fts WHERE rowid = old.id; END",
    "CREATE TRIGGER lesson_fts_card AFTER UPDATE OF title, problem, countermeasure "
    "ON improvement BEGIN DELETE FROM lesson_fts WHERE rowid IN "
    "(SELECT id FROM reflection WHERE improvement_id = new.id); "
    f"{LESSON_ROWS} WHERE r.improvement_id = new.id; END",
    "CREATE VIRTUAL TABLE root_cause_fts USING fts5(problem, root_cause, countermeasure, "
    f"steps, {TOKENIZE})",
    "CREATE TRIGGER root_cause_fts_insert AFTER INSERT ON root_cause BEGIN "
    f"{ROOT_CAUSE_ROWS} WHERE c.id = new.id; END",
    "CREATE TRIGGER root_cause_fts_update AFTER UPDATE OF problem, root_cause, countermeasure "
    "ON root_cause BEGIN DELETE FROM root_cause_fts WHERE rowid = old.id; "
    f"{ROOT_CAUSE_ROWS} WHERE c.id = new.id; END",
    "CREATE TRIGGER root_cause_fts_delete AFTER DELETE ON root_cause BEGIN "
    "DELETE FROM root_cause_fts WHERE rowid = old.id; END",
    "CREATE TRIGGER root_cause_fts_step_insert AFTER INSERT ON why_step BEGIN "
    "DELETE FROM root_cause_fts WHERE rowid = new.root_cause_id; "
    f"{ROOT_CAUSE_ROWS} WHERE c.id = new.root_cause_id; END",
    "CREATE TRIGGER root_cause_fts_step_update AFTER UPDATE OF why, because, root_cause_id "
    "ON why_step BEGIN DELETE FROM root_cause_fts WHERE rowid IN "
    "(old.root_cause_id, new.root_cause_id); "
    f"{ROOT_CAUSE_ROWS} WHERE c.id IN (old.root_cause_id, new.root_cause_id); END",
    "CREATE TRIGGER root_cause_fts_step_delete AFTER DELETE ON why_step BEGIN "
    "DELETE FROM root_cause_fts WHERE rowid = old.root_cause_id; "
    f"{ROOT_CAUSE_ROWS} WHERE c.id = old.root_cause_id; END",
    # The rows already stored.
    "INSERT INTO observation_fts (observation_fts) VALUES ('rebuild')",
    LESSON_ROWS,
    ROOT_CAUSE_ROWS,
)
SQLITE_DOWN = tuple(
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        "observation_fts_insert",
        "observation_fts_update",
        "observation_fts_delete",
        "lesson_fts_insert",
        "lesson_fts_update",
        "lesson_fts_delete",
        "lesson_fts_card",
        "root_cause_fts_insert",
        "root_cause_fts_update",
        "root_cause_fts_delete",
        "root_cause_fts_step_insert",
        "root_cause_fts_step_update",
        "root_cause_fts_step_delete",
    )
) + (
    # Dropping an FTS5 table drops its shadow tables too.
    "DROP TABLE IF EXISTS observation_fts",
    "DROP TABLE IF EXISTS lesson_fts",
    "DROP TABLE IF EXISTS root_cause_fts",
)

CONFIG = "'english'::regconfig"
LESSON_DOCUMENT = (
    f"setweight(to_tsvector({CONFIG}, i.title), 'A') || "
    f"setweight(to_tsvector({CONFIG}, concat_ws(' ', r.learnt, r.take_forward, "
    "r.do_differently)), 'B') || "
    f"setweight(to_tsvector({CONFIG}, concat_ws(' ', i.problem, i.countermeasure)), 'C')"
)
PG_LESSON_ROWS = (
    f"INSERT INTO lesson_fts (reflection_id, document) SELECT r.id, {LESSON_DOCUMENT} "
    "FROM reflection r JOIN improvement i ON i.id = r.improvement_id"
)
PG_LESSON_UPSERT = " ON CONFLICT (reflection_id) DO UPDATE SET document = EXCLUDED.document"
ROOT_CAUSE_DOCUMENT = (
    f"setweight(to_tsvector({CONFIG}, c.problem), 'A') || "
    f"setweight(to_tsvector({CONFIG}, concat_ws(' ', c.root_cause, c.countermeasure)), 'B') || "
    f"setweight(to_tsvector({CONFIG}, coalesce((SELECT string_agg(concat_ws(' ', s.why, "
    "s.because), ' ') FROM why_step s WHERE s.root_cause_id = c.id), '')), 'C')"
)
PG_ROOT_CAUSE_ROWS = (
    f"INSERT INTO root_cause_fts (root_cause_id, document) SELECT c.id, {ROOT_CAUSE_DOCUMENT} "
    "FROM root_cause c"
)
PG_ROOT_CAUSE_UPSERT = " ON CONFLICT (root_cause_id) DO UPDATE SET document = EXCLUDED.document"
POSTGRES_UP = (
    # Adding a generated column computes it for every row already stored.
    "ALTER TABLE observation ADD COLUMN search_vector tsvector "
    f"GENERATED ALWAYS AS (to_tsvector({CONFIG}, description)) STORED",
    "CREATE INDEX ix_observation_search_vector ON observation USING gin (search_vector)",
    "CREATE TABLE lesson_fts (reflection_id integer PRIMARY KEY, document tsvector NOT NULL)",
    "CREATE INDEX ix_lesson_fts_document ON lesson_fts USING gin (document)",
    "CREATE OR REPLACE FUNCTION lesson_fts_refresh() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN IF TG_OP = 'DELETE' THEN DELETE FROM lesson_fts WHERE reflection_id = OLD.id; "
    "ELSIF TG_TABLE_NAME = 'reflection' THEN "
    f"{PG_LESSON_ROWS} WHERE r.id = NEW.id{PG_LESSON_UPSERT}; "
    f"ELSE {PG_LESSON_ROWS} WHERE r.improvement_id = NEW.id{PG_LESSON_UPSERT}; END IF; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER lesson_fts_reflection AFTER INSERT OR UPDATE OF learnt, take_forward, "
    "do_differently, improvement_id OR DELETE ON reflection FOR EACH ROW "
    "EXECUTE FUNCTION lesson_fts_refresh()",
    "CREATE TRIGGER lesson_fts_card AFTER UPDATE OF title, problem, countermeasure "
    "ON improvement FOR EACH ROW EXECUTE FUNCTION lesson_fts_refresh()",
    "CREATE TABLE root_cause_fts (root_cause_id integer PRIMARY KEY, document tsvector NOT NULL)",
    "CREATE INDEX ix_root_cause_fts_document ON root_cause_fts USING gin (document)",
    "CREATE OR REPLACE FUNCTION root_cause_fts_refresh() RETURNS trigger LANGUAGE plpgsql "
    "AS $$ BEGIN IF TG_TABLE_NAME = 'root_cause' AND TG_OP = 'DELETE' THEN "
    "DELETE FROM root_cause_fts WHERE root_cause_id = OLD.id; "
    "ELSIF TG_TABLE_NAME = 'root_cause' THEN "
    f"{PG_ROOT_CAUSE_ROWS} WHERE c.id = NEW.id{PG_ROOT_CAUSE_UPSERT}; "
    f"ELSE {PG_ROOT_CAUSE_ROWS} WHERE c.id IN (OLD.root_cause_id, NEW.root_cause_id)"
    f"{PG_ROOT_CAUSE_UPSERT}; END IF; RETURN NULL; END $$",
    "CREATE TRIGGER root_cause_fts_record AFTER INSERT OR UPDATE OF problem, root_cause, "
    "countermeasure OR DELETE ON root_cause FOR EACH ROW "
    "EXECUTE FUNCTION root_cause_fts_refresh()",
    "CREATE TRIGGER root_cause_fts_step AFTER INSERT OR UPDATE OF why, because, root_cause_id "
    "OR DELETE ON why_step FOR EACH ROW EXECUTE FUNCTION root_cause_fts_refresh()",
    # The rows already stored.
    PG_LESSON_ROWS,
    PG_ROOT_CAUSE_ROWS,
)
POSTGRES_DOWN = (
    "DROP TRIGGER IF EXISTS lesson_fts_reflection ON reflection",
    "DROP TRIGGER IF EXISTS lesson_fts_card ON improvement",
    "DROP TRIGGER IF EXISTS root_cause_fts_record ON root_cause",
    "DROP TRIGGER IF EXISTS root_cause_fts_step ON why_step",
    "DROP FUNCTION IF EXISTS lesson_fts_refresh()",
    "DROP FUNCTION IF EXISTS root_cause_fts_refresh()",
    "DROP TABLE IF EXISTS lesson_fts",
    "DROP TABLE IF EXISTS root_cause_fts",
    "DROP INDEX IF EXISTS ix_observation_search_vector",
    "ALTER TABLE observation DROP COLUMN IF EXISTS search_vector",
)


def _run(statements):
    for statement in statements:
        op.execute(statement)


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_UP)
    elif dialect == "postgresql":
        _run(POSTGRES_UP)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_DOWN)
    elif dialect == "postgresql":
        _run(POSTGRES_DOWN)
