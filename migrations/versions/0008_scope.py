"""team scope, archived teams and areas, kiosk devices and TV display links

Revision ID: 0008_scope
Revises: 0007_accounts
Create Date: 2026-12-01 06:30:00

Adds `user_account.plant_wide` (false for every existing account: everyone keeps to their
own team until an admin says otherwise), `team.archived_at` and `area.archived_at` (NULL:
nothing is archived), and two new tables: `kiosk_device` (a tablet bound to an area by a
hashed cookie secret) and `display_link` (a hashed token that shows one team's board on a
TV). No existing row changes meaning.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008_scope"
down_revision = "0007_accounts"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("plant_wide", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.add_column(sa.Column("archived_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("area", schema=None) as batch_op:
        batch_op.add_column(sa.Column("archived_at", sa.DateTime(), nullable=True))
    op.create_table(
        "kiosk_device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["area_id"], ["area.id"], name=op.f("fk_kiosk_device_area_id_area"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_kiosk_device_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kiosk_device")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_kiosk_device_secret_hash")),
    )
    op.create_table(
        "display_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_display_link_team_id_team"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_display_link_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_display_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_display_link_token_hash")),
    )


def downgrade():
    op.drop_table("display_link")
    op.drop_table("kiosk_device")
    with op.batch_alter_table("area", schema=None) as batch_op:
        batch_op.drop_column("archived_at")
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.drop_column("archived_at")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("plant_wide")
