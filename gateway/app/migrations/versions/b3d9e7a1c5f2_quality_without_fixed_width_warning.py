"""Stored image quality drops the fixed-width "below N DPI at W in wide" warning

Printing soft is now judged against the product templates when an image is shown, so the warning
every default image carried against PRINT_WIDTH_INCHES leaves the stored `quality`, and
`has_quality_warnings` is recomputed from what remains (errors, aspect-ratio warnings).

Revision ID: b3d9e7a1c5f2
Revises: a8c3e5f71d24
Create Date: 2026-12-06 12:40:00.000000

"""
import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b3d9e7a1c5f2'
down_revision = 'a8c3e5f71d24'
branch_labels = None
depends_on = None

FIXED_WIDTH_WARNING = re.compile(r"^below \d+ DPI at [0-9.]+ in wide \(\d+ DPI effective\)$")
BATCH = 1000
images = sa.table(
    'images',
    sa.column('id', sa.String),
    sa.column('quality', sa.JSON),
    sa.column('has_quality_warnings', sa.Boolean),
)


def upgrade() -> None:
    connection = op.get_bind()
    last = ''
    while True:
        rows = connection.execute(
            sa.select(images.c.id, images.c.quality)
            .where(images.c.has_quality_warnings.is_(True), images.c.id > last)
            .order_by(images.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        for image_id, quality in rows:
            warnings = [w for w in quality.get('warnings') or [] if not FIXED_WIDTH_WARNING.match(w)]
            if warnings == (quality.get('warnings') or []):
                continue
            connection.execute(
                images.update()
                .where(images.c.id == image_id)
                .values(
                    quality={**quality, 'warnings': warnings},
                    has_quality_warnings=bool(quality.get('errors') or warnings),
                )
            )
        last = rows[-1][0]


def downgrade() -> None:
    """Nothing to restore: the dropped warning said nothing the info's `dpi` does not."""
