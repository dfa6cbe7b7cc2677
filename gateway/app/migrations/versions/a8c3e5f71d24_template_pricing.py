"""Pricing rules on templates; learned variant costs and first-item shipping

Revision ID: a8c3e5f71d24
Revises: f1a4c2e8b713
Create Date: 2026-12-06 12:20:00.000000

"""
from alembic import op
import sqlalchemy as sa

import gateway.app.database


# revision identifiers, used by Alembic.
revision = 'a8c3e5f71d24'
down_revision = 'f1a4c2e8b713'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('product_templates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pricing', sa.JSON(), nullable=True))
    op.create_table(
        'variant_costs',
        sa.Column('blueprint_id', sa.Integer(), nullable=False),
        sa.Column('print_provider_id', sa.Integer(), nullable=False),
        sa.Column('variant_id', sa.Integer(), nullable=False),
        sa.Column('cost', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('learned_at', gateway.app.database.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('blueprint_id', 'print_provider_id', 'variant_id'),
    )
    op.create_table(
        'variant_shipping',
        sa.Column('blueprint_id', sa.Integer(), nullable=False),
        sa.Column('print_provider_id', sa.Integer(), nullable=False),
        sa.Column('variant_id', sa.Integer(), nullable=False),
        sa.Column('country', sa.String(length=40), nullable=False),
        sa.Column('first_item', sa.Integer(), nullable=False),
        sa.Column('currency', sa.String(length=8), nullable=False),
        sa.Column('learned_at', gateway.app.database.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('blueprint_id', 'print_provider_id', 'variant_id', 'country'),
    )


def downgrade():
    op.drop_table('variant_shipping')
    op.drop_table('variant_costs')
    with op.batch_alter_table('product_templates', schema=None) as batch_op:
        batch_op.drop_column('pricing')
