"""monthly report at scale: shared report cache, plant-wide report counter, before/after index

Revision ID: 0005_report_cache
Revises: 0004
Create Date: 2026-12-01 03:00:00

- `report_version`: one row, the counter every change a report shows bumps; it starts at 0
  (there is nothing cached yet, so no build can be stale).
- `report_build`, `report_part`, `report_lock`: the monthly report's cache shared by every
  worker and host, and the lock row concurrent first requests wait on. They start empty.
- Indexes for the report's window queries: observations by (area, waste, observed_at) for
  the before/after and by (observed_at, waste, area, minutes lost) for the monthly counts;
  moves by (moved_at, from, to) for the cumulative flow; cards by their first finish.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0005_report_cache"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    version = op.create_table(
        "report_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_version")),
    )
    op.bulk_insert(version, [{"id": 1, "value": 0}])
    op.create_table(
        "report_build",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("built_at", sa.DateTime(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_build")),
    )
    with op.batch_alter_table("report_build", schema=None) as batch_op:
        batch_op.create_index("ix_report_build_key_built_at", ["key", "built_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_build_version"), ["version"], unique=False)
    op.create_table(
        "report_part",
        sa.Column("build_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["build_id"],
            ["report_build.id"],
            name=op.f("fk_report_part_build_id_report_build"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("build_id", "name", name=op.f("pk_report_part")),
    )
    op.create_table(
        "report_lock",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_report_lock")),
    )
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_observation_area_waste_observed_at",
            ["area_id", "waste", "observed_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_observation_observed_at_waste",
            ["observed_at", "waste", "area_id", "minutes_lost"],
            unique=False,
        )
    with op.batch_alter_table("card_move", schema=None) as batch_op:
        batch_op.create_index(
            "ix_card_move_moved_at_columns",
            ["moved_at", "from_column", "to_column"],
            unique=False,
        )
    with op.batch_alter_table("improvement", schema=None) as batch_op:
        batch_op.create_index("ix_improvement_finished_at", ["finished_at"], unique=False)


def downgrade():
    with op.batch_alter_table("improvement", schema=None) as batch_op:
        batch_op.drop_index("ix_improvement_finished_at")
    with op.batch_alter_table("card_move", schema=None) as batch_op:
        batch_op.drop_index("ix_card_move_moved_at_columns")
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.drop_index("ix_observation_observed_at_waste")
        batch_op.drop_index("ix_observation_area_waste_observed_at")
    op.drop_table("report_lock")
    op.drop_table("report_part")
    with op.batch_alter_table("report_build", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_build_version"))
        batch_op.drop_index("ix_report_build_key_built_at")
    op.drop_table("report_build")
    op.drop_table("report_version")
