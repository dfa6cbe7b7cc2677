"""trace context stored with each generation job

Revision ID: e5b8f0c2d917
Revises: e3b7d1c95a20
Create Date: 2026-12-06 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5b8f0c2d917'
down_revision = 'e3b7d1c95a20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('generation_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trace_context', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('generation_jobs', schema=None) as batch_op:
        batch_op.drop_column('trace_context')
