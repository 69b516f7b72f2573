"""board updates: per-card change version and the lane's last whole-lane change

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 03:00:00

Adds `improvement.board_version` (the team's board_version when the card last changed as
the board shows it) with an index on (team_id, board_version), and `team.board_reset_version`
(the version of the last change that redraws a whole lane). Both are backfilled with the
team's current board_version, so a screen open during the upgrade reloads its board once.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.add_column(sa.Column('board_reset_version', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('improvement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('board_version', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index('ix_improvement_team_board_version', ['team_id', 'board_version'], unique=False)
        batch_op.create_index('ix_improvement_team_finished_at', ['team_id', 'finished_at'], unique=False)

    with op.batch_alter_table('observation', schema=None) as batch_op:
        batch_op.create_index('ix_observation_area_observed_at', ['area_id', 'observed_at'], unique=False)

    op.execute("UPDATE team SET board_reset_version = board_version")
    op.execute(
        "UPDATE improvement SET board_version = "
        "(SELECT t.board_version FROM team t WHERE t.id = improvement.team_id)"
    )


def downgrade():
    with op.batch_alter_table('observation', schema=None) as batch_op:
        batch_op.drop_index('ix_observation_area_observed_at')
    with op.batch_alter_table('improvement', schema=None) as batch_op:
        batch_op.drop_index('ix_improvement_team_finished_at')
        batch_op.drop_index('ix_improvement_team_board_version')
        batch_op.drop_column('board_version')
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_column('board_reset_version')
