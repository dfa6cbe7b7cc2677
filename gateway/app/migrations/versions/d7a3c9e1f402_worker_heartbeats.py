"""worker heartbeats

Revision ID: d7a3c9e1f402
Revises: c41d7e2a9b10
Create Date: 2026-12-06 09:20:00.000000

"""
from alembic import op
import sqlalchemy as sa
import gateway.app.database


# revision identifiers, used by Alembic.
revision = 'd7a3c9e1f402'
down_revision = 'c41d7e2a9b10'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('worker_heartbeats',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('hostname', sa.String(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('started_at', gateway.app.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('beat_at', gateway.app.database.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('worker_heartbeats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_worker_heartbeats_beat_at'), ['beat_at'], unique=False)


def downgrade():
    with op.batch_alter_table('worker_heartbeats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_worker_heartbeats_beat_at'))
    op.drop_table('worker_heartbeats')
