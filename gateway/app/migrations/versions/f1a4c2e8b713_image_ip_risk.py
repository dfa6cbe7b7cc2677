"""IP-risk screen's finding on each image

Revision ID: f1a4c2e8b713
Revises: e5b8f0c2d917
Create Date: 2026-12-06 10:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1a4c2e8b713'
down_revision = 'e5b8f0c2d917'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('images', schema=None) as batch_op:
        batch_op.add_column(sa.Column('risk', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('images', schema=None) as batch_op:
        batch_op.drop_column('risk')
