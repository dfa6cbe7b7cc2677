"""monthly usage counters per API key (quotas)

Revision ID: c41d7e2a9b10
Revises: a29cdc3924de
Create Date: 2026-12-06 09:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c41d7e2a9b10'
down_revision = 'a29cdc3924de'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('usage_counters',
    sa.Column('api_key_id', sa.String(length=40), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('metric', sa.String(length=16), nullable=False),
    sa.Column('used', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('api_key_id', 'period', 'metric')
    )


def downgrade():
    op.drop_table('usage_counters')
