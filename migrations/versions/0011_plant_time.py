"""plant settings: the plant's time zone

Revision ID: 0011_plant_time
Revises: 0009_input_limits
Create Date: 2026-12-01 07:00:00

Adds `plant_setting` (one row, id 1) with `time_zone`, an IANA zone name an admin sets on
/settings/plant. No row is written: until an admin saves one, KAIZEN_TIME_ZONE (default UTC)
is in force, which is how every existing database already counted. Stored moments stay UTC.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011_plant_time"
down_revision = "0009_input_limits"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "plant_setting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plant_setting")),
    )


def downgrade():
    op.drop_table("plant_setting")
