"""image status counts kept by triggers

Revision ID: e3b7d1c95a20
Revises: d7a3c9e1f402
Create Date: 2026-12-06 10:20:00.000000

The review tabs and the dashboard count images per status. A GROUP BY over every image is half the
review page's time at 100,000 images; this table answers in a handful of rows. Triggers on `images`
keep it exact in the same transaction as every insert, status change and delete, whichever path
makes them (services, bulk statements, retention, rows written by hand).

A decrement only ever updates an existing row and an increment inserts or adds, so removing the
counts and the images in either order leaves them agreeing (zero). PostgreSQL counts once per
statement from its transition tables (a 10,000-row UPDATE is one adjustment per status, taken in
status order so that concurrent writers lock the rows in the same order); SQLite, which has only
row triggers, once per row.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e3b7d1c95a20'
down_revision = 'd7a3c9e1f402'
branch_labels = None
depends_on = None

EVENTS = ("insert", "update", "delete")

SQLITE_TRIGGERS = [
    """
    CREATE TRIGGER image_status_counts_insert AFTER INSERT ON images
    BEGIN
        INSERT INTO image_status_counts (status, total) VALUES (NEW.status, 1)
        ON CONFLICT (status) DO UPDATE SET total = total + 1;
    END
    """,
    """
    CREATE TRIGGER image_status_counts_update AFTER UPDATE OF status ON images
    WHEN OLD.status IS NOT NEW.status
    BEGIN
        UPDATE image_status_counts SET total = total - 1 WHERE status = OLD.status;
        INSERT INTO image_status_counts (status, total) VALUES (NEW.status, 1)
        ON CONFLICT (status) DO UPDATE SET total = total + 1;
    END
    """,
    """
    CREATE TRIGGER image_status_counts_delete AFTER DELETE ON images
    BEGIN
        UPDATE image_status_counts SET total = total - 1 WHERE status = OLD.status;
    END
    """,
]

POSTGRESQL_FUNCTION = """
CREATE FUNCTION image_status_counts_apply(changes jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    change record;
BEGIN
    FOR change IN
        SELECT key AS status, value::int AS delta FROM jsonb_each_text(changes)
        WHERE value::int <> 0 ORDER BY key
    LOOP
        IF change.delta < 0 THEN
            UPDATE image_status_counts SET total = total + change.delta
            WHERE status = change.status;
        ELSE
            INSERT INTO image_status_counts AS counts (status, total)
            VALUES (change.status, change.delta)
            ON CONFLICT (status) DO UPDATE SET total = counts.total + EXCLUDED.total;
        END IF;
    END LOOP;
END $$
"""

POSTGRESQL_TRIGGERS = {
    "insert": (
        "REFERENCING NEW TABLE AS new_rows",
        "SELECT jsonb_object_agg(status, n) FROM "
        "(SELECT status, count(*) AS n FROM new_rows GROUP BY status) AS moved",
    ),
    "update": (
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "SELECT jsonb_object_agg(status, n) FROM (SELECT status, sum(delta) AS n FROM "
        "(SELECT status, -1 AS delta FROM old_rows UNION ALL SELECT status, 1 FROM new_rows) "
        "AS rows GROUP BY status) AS moved",
    ),
    "delete": (
        "REFERENCING OLD TABLE AS old_rows",
        "SELECT jsonb_object_agg(status, -n) FROM "
        "(SELECT status, count(*) AS n FROM old_rows GROUP BY status) AS moved",
    ),
}


def upgrade():
    op.create_table('image_status_counts',
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('status')
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRESQL_FUNCTION)
        for event, (transition, changes) in POSTGRESQL_TRIGGERS.items():
            op.execute(
                f"""
                CREATE FUNCTION image_status_counts_on_{event}() RETURNS trigger
                LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM image_status_counts_apply(({changes}));
                    RETURN NULL;
                END $$
                """
            )
            op.execute(
                f"CREATE TRIGGER image_status_counts_{event} AFTER {event.upper()} ON images "
                f"{transition} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION image_status_counts_on_{event}()"
            )
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)
    op.execute(
        "INSERT INTO image_status_counts (status, total) "
        "SELECT status, count(*) FROM images GROUP BY status"
    )


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for event in EVENTS:
        op.execute(f"DROP TRIGGER image_status_counts_{event}" + (" ON images" if postgresql else ""))
        if postgresql:
            op.execute(f"DROP FUNCTION image_status_counts_on_{event}()")
    if postgresql:
        op.execute("DROP FUNCTION image_status_counts_apply(jsonb)")
    op.drop_table('image_status_counts')
