"""accounts: revocable sessions, remember-me tokens, sign-in throttling, token scope, audit

Revision ID: 0007_accounts
Revises: 0006_idempotency
Create Date: 2026-12-01 06:30:00

Adds to `user_account` a session generation (part of every session cookie's account id;
raising it refuses older sessions) and a `password_change_due` flag; to `api_token` a
`scope` (existing tokens become read-only, the careful choice); and the tables
`remember_token` (hashed "keep me signed in" tokens), `sign_in_throttle` (failed sign-ins
per account name and client address) and `audit_event` (the audit trail).

Backfill: every account starts at generation 1, so every session cookie made before the
upgrade (which carries no generation) is refused once: people sign in again. The demo
administrator (`admin`) still holding the demo password is flagged to change it.
"""

import sqlalchemy as sa
from alembic import op
from werkzeug.security import check_password_hash

# revision identifiers, used by Alembic.
revision = "0007_accounts"
down_revision = "0006_idempotency"
branch_labels = None
depends_on = None

# The demo loader's password (kaizen/demo); repeated here so the migration never changes
# when the loader does.
DEMO_ADMIN = "admin"
DEMO_PASSWORD = "kaizen-demo"


def upgrade():
    op.create_table(
        "sign_in_throttle",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_throttle")),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("subject_type", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["user_account.id"],
            name=op.f("fk_audit_event_actor_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_event_subject_type"), ["subject_type"], unique=False
        )

    op.create_table(
        "remember_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_remember_token_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remember_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_remember_token_token_hash")),
    )
    with op.batch_alter_table("remember_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_remember_token_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "scope",
                sa.Enum(
                    "read", "read-write", name="scope", native_enum=False, create_constraint=True
                ),
                server_default="read",
                nullable=False,
            )
        )

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_generation", sa.Integer(), server_default="1", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "password_change_due", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )

    bind = op.get_bind()
    account = sa.table(
        "user_account",
        sa.column("id", sa.Integer),
        sa.column("username", sa.String),
        sa.column("password_hash", sa.String),
        sa.column("password_change_due", sa.Boolean),
    )
    admin = bind.execute(
        sa.select(account.c.id, account.c.password_hash).where(account.c.username == DEMO_ADMIN)
    ).first()
    if admin is not None and check_password_hash(admin.password_hash, DEMO_PASSWORD):
        bind.execute(
            account.update().where(account.c.id == admin.id).values(password_change_due=True)
        )


def downgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("password_change_due")
        batch_op.drop_column("session_generation")

    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_api_token_scope"), type_="check")
        batch_op.drop_column("scope")

    with op.batch_alter_table("remember_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_remember_token_user_id"))
    op.drop_table("remember_token")

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_subject_type"))
        batch_op.drop_index(batch_op.f("ix_audit_event_at"))
        batch_op.drop_index(batch_op.f("ix_audit_event_actor_id"))
    op.drop_table("audit_event")
    op.drop_table("sign_in_throttle")
