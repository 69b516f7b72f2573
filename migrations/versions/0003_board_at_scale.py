"""board at scale: card start/finish stamps, team change counter, link and Done indexes

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08 10:00:00

Adds `improvement.started_at` / `finished_at` and fills them from the card-move log with the
rules of docs/metrics.md (first arrival in the team's cycle start column or later; first
arrival in Done), `team.board_version` (the board's change counter), an index on each
card-link table starting with `improvement_id`, and one on recent arrivals per column.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

ORDINAL = "CASE {0} WHEN 'ideas' THEN 0 WHEN 'plan' THEN 1 WHEN 'do' THEN 2 WHEN 'check' THEN 3 WHEN 'done' THEN 4 ELSE -1 END"


def upgrade():
    with op.batch_alter_table('improvement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('started_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('finished_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.add_column(sa.Column('board_version', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('card_move', schema=None) as batch_op:
        batch_op.create_index('ix_card_move_to_column_moved_at', ['to_column', 'moved_at'], unique=False)
    with op.batch_alter_table('observation_improvement', schema=None) as batch_op:
        batch_op.create_index('ix_observation_improvement_improvement_id', ['improvement_id'], unique=False)
    with op.batch_alter_table('root_cause_improvement', schema=None) as batch_op:
        batch_op.create_index('ix_root_cause_improvement_improvement_id', ['improvement_id'], unique=False)

    # Backfill from the log: plain SQL that both SQLite and PostgreSQL run.
    op.execute(
        "UPDATE improvement SET "
        "started_at = (SELECT min(m.moved_at) FROM card_move m JOIN team t ON t.id = improvement.team_id "
        f"WHERE m.improvement_id = improvement.id AND {ORDINAL.format('m.to_column')} >= {ORDINAL.format('t.cycle_start_column')}), "
        "finished_at = (SELECT min(m.moved_at) FROM card_move m "
        "WHERE m.improvement_id = improvement.id AND m.to_column = 'done')"
    )


def downgrade():
    with op.batch_alter_table('root_cause_improvement', schema=None) as batch_op:
        batch_op.drop_index('ix_root_cause_improvement_improvement_id')
    with op.batch_alter_table('observation_improvement', schema=None) as batch_op:
        batch_op.drop_index('ix_observation_improvement_improvement_id')
    with op.batch_alter_table('card_move', schema=None) as batch_op:
        batch_op.drop_index('ix_card_move_to_column_moved_at')
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_column('board_version')
    with op.batch_alter_table('improvement', schema=None) as batch_op:
        batch_op.drop_column('finished_at')
        batch_op.drop_column('started_at')
