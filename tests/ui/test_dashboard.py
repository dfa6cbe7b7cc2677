"""/dashboard: the numbers for seeded data, their SVG charts, who may see them, and the chart maths."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, text, update

from gateway.app.accounts import service as accounts
from gateway.app.accounts.service import ROLE_SCOPES
from gateway.app.audit.models import AuditEntry
from gateway.app.audit.service import SYSTEM, Actor
from gateway.app.extensions import db
from gateway.app.generation.models import GenerationJob
from gateway.app.images.models import Image
from gateway.app.review import service as review
from gateway.app.review import stats
from gateway.app.security import Principal
from gateway.app.ui import charts
from tests.support import image_row
from tests.ui.conftest import PASSWORD

REASONS = ["low_quality", "off_prompt", "text_artifacts", "duplicate", "ip_risk", "other"]
NOW = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)


def reviewer(name: str) -> Principal:
    """A reviewer operator, as the services see them."""
    operator = accounts.create_operator(db.session, name, PASSWORD, role="reviewer", actor=SYSTEM)
    return Principal(Actor("operator", operator.id, name), ROLE_SCOPES["reviewer"], "enterprise")


def add_image(
    *, status: str = "pending", source: str = "generated", created_at: datetime = NOW
) -> str:
    """An image row with placeholder files: the dashboard reads only its state and origin."""
    row = image_row(status=status, source=source, created_at=created_at, updated_at=created_at)
    db.session.execute(insert(Image), [row])
    return row["id"]


def add_job(status: str, backend: str = "local", *, error_code: str | None = None, ended=None):
    db.session.add(
        GenerationJob(
            status=status,
            backend=backend,
            params={},
            error_code=error_code,
            completed_at=ended,
        )
    )


def decide(image_id: str, principal: Principal, at: datetime, reason: str | None = None) -> None:
    """Approve (no reason) or reject an image, then date its audit entry to `at`."""
    if reason:
        review.reject(
            db.session, image_id, principal, reason=reason, reasons=REASONS, base_url="http://t"
        )
    else:
        review.approve(db.session, image_id, principal, base_url="http://t")
    db.session.execute(
        update(AuditEntry)
        .where(AuditEntry.entity_id == image_id, AuditEntry.action.in_(stats.REVIEW_ACTIONS))
        .values(at=at)
    )
    db.session.commit()


@pytest.fixture
def seeded(app):
    """Two reviewers' decisions over three days, jobs in every state, uploads and generations."""
    with app.app_context():
        alice = reviewer("alice")
        bob = reviewer("bob")
        images = [add_image(created_at=NOW - timedelta(days=1)) for _ in range(7)]
        add_image(source="upload", created_at=NOW)
        add_image(created_at=NOW - timedelta(days=30))
        db.session.commit()
        decide(images[0], alice, NOW)
        decide(images[1], alice, NOW)
        decide(images[2], alice, NOW - timedelta(days=1), "low_quality")
        decide(images[3], bob, NOW - timedelta(days=2))
        decide(images[4], bob, NOW - timedelta(days=2), "off_prompt")
        decide(images[5], bob, NOW, "low_quality")
        decide(images[6], bob, NOW - timedelta(days=20), "duplicate")
        for _ in range(3):
            add_job("completed", ended=NOW)
        add_job("failed", error_code="TIMEOUT", ended=NOW)
        add_job("failed", error_code="TIMEOUT", ended=NOW - timedelta(days=3))
        add_job("failed", "comfyui", error_code="BACKEND_ERROR", ended=NOW)
        add_job("failed", "runpod", error_code="TIMEOUT", ended=NOW - timedelta(days=20))
        add_job("pending")
        add_job("pending")
        add_job("processing")
        add_job("cancelled", error_code="CANCELLED", ended=NOW)
        db.session.commit()


def test_dashboard_numbers_match_the_seeded_reviews_jobs_and_images(app, seeded):
    with app.app_context():
        numbers = stats.dashboard(db.session, now=NOW)
    assert numbers.images_by_status == {
        "generating": 0,
        "pending": 2,
        "approved": 3,
        "rejected": 4,
        "publishing": 0,
        "published": 0,
        "publish_failed": 0,
    }
    assert len(numbers.reviews_per_day) == 14
    assert numbers.reviews_per_day[-1] == stats.DayReviews(NOW.date(), approved=2, rejected=1)
    assert numbers.reviews_per_day[-2] == stats.DayReviews(
        NOW.date() - timedelta(days=1), approved=0, rejected=1
    )
    assert numbers.reviews_per_day[-3] == stats.DayReviews(
        NOW.date() - timedelta(days=2), approved=1, rejected=1
    )
    assert sum(day.approved + day.rejected for day in numbers.reviews_per_day[:-3]) == 0
    assert (numbers.approved, numbers.rejected) == (3, 3)
    assert numbers.jobs_queued == 2 and numbers.jobs_running == 1
    assert numbers.awaiting_review == 2


def test_decisions_are_broken_down_per_reviewer_busiest_first(app, seeded):
    with app.app_context():
        numbers = stats.dashboard(db.session, now=NOW)
    assert numbers.reviewers == [
        stats.ReviewerReviews("operator", "alice", approved=2, rejected=1),
        stats.ReviewerReviews("operator", "bob", approved=1, rejected=2),
    ]


def test_reject_reasons_are_counted_within_the_window_most_frequent_first(app, seeded):
    with app.app_context():
        numbers = stats.dashboard(db.session, now=NOW)
    assert numbers.reject_reasons == [("low_quality", 2), ("off_prompt", 1)]


def test_generation_failures_are_counted_per_backend_and_error_code_within_the_window(app, seeded):
    with app.app_context():
        numbers = stats.dashboard(db.session, now=NOW)
    assert numbers.failures == [
        stats.FailureCount("local", "TIMEOUT", 2),
        stats.FailureCount("comfyui", "BACKEND_ERROR", 1),
    ]
    assert numbers.failed_jobs == 3
    assert numbers.backends == [
        stats.BackendOutcome("comfyui", completed=0, failed=1),
        stats.BackendOutcome("local", completed=3, failed=2),
    ]
    assert numbers.backends[1].failure_rate == pytest.approx(0.4)


def test_throughput_counts_new_images_per_day_by_origin(app, seeded):
    with app.app_context():
        numbers = stats.dashboard(db.session, now=NOW)
    assert numbers.throughput[-1] == stats.DayThroughput(NOW.date(), generated=0, uploaded=1)
    assert numbers.throughput[-2] == stats.DayThroughput(
        NOW.date() - timedelta(days=1), generated=7, uploaded=0
    )
    assert (numbers.generated, numbers.uploaded) == (7, 1)


def test_days_are_utc_days_whatever_the_database_session_time_zone(app):
    late = NOW.replace(hour=23, minute=30)
    with app.app_context():
        principal = reviewer("owl")
        image_id = add_image()
        db.session.commit()
        decide(image_id, principal, late - timedelta(days=1))
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("SET LOCAL TIME ZONE 'Pacific/Kiritimati'"))
        numbers = stats.dashboard(db.session, now=NOW)
        db.session.rollback()
    by_day = {day.day: day.approved for day in numbers.reviews_per_day}
    assert by_day[NOW.date() - timedelta(days=1)] == 1
    assert by_day[NOW.date()] == 0


def test_an_empty_gateway_has_zero_filled_days_and_a_calm_dashboard(app, client, login):
    with app.app_context():
        numbers = stats.dashboard(db.session, now=NOW)
    assert [day.day for day in numbers.reviews_per_day] == [
        NOW.date() - timedelta(days=13 - offset) for offset in range(14)
    ]
    assert numbers.reviewers == [] and numbers.failures == [] and numbers.reject_reasons == []
    login(client, "viewer")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "No review decisions in the last 14 days." in page
    assert "No failed generation jobs in the last 14 days." in page


def _kpi(page: str, name: str) -> str:
    match = re.search(rf'data-kpi="{name}">.*?class="kpi-value">([^<]+)<', page, re.S)
    assert match, f"no {name} card"
    return match.group(1)


def test_the_dashboard_page_shows_the_numbers_as_svg_charts(client, seeded, login):
    login(client, "viewer")
    response = client.get("/dashboard")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _kpi(page, "awaiting-review") == "2"
    assert _kpi(page, "queue") == "2"
    assert _kpi(page, "failed") == "3"
    assert page.count("<svg") >= 8
    for panel in ("reviews-per-day", "throughput", "statuses", "reviewers", "reject-reasons"):
        assert re.search(rf'id="{panel}">.*?<svg class="chart', page, re.S), panel
    assert "<title>alice: 2 approved</title>" in page
    assert "<title>bob: 2 rejected</title>" in page
    assert "<title>low_quality: 2</title>" in page
    assert "<title>local · TIMEOUT: 2</title>" in page
    day = f"{NOW.day} {NOW:%b}"
    assert f"<title>{day}: 2 approved, 1 rejected</title>" in page
    assert "40%" in page  # local's failure rate


def test_chart_labels_are_escaped(app, client, login):
    with app.app_context():
        name = (
            '<svg onload="alert(1)">'  # names are checked for markup; the page must not rely on it
        )
        principal = Principal(Actor("operator", "op_legacy", name), ROLE_SCOPES["reviewer"], "pro")
        image_id = add_image()
        db.session.commit()
        decide(image_id, principal, NOW)
    login(client, "viewer")
    page = client.get("/dashboard").get_data(as_text=True)
    assert '<svg onload="alert(1)">' not in page
    assert "&lt;svg onload=&#34;alert(1)&#34;&gt;" in page


def test_the_dashboard_has_no_inline_script_or_style(client, seeded, login):
    login(client, "admin")
    response = client.get("/dashboard")
    page = response.get_data(as_text=True)
    assert all("src=" in tag for tag in re.findall(r"<script\b[^>]*>", page))
    assert " style=" not in page and "<style" not in page
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("role", ["viewer", "reviewer", "admin"])
def test_every_role_may_read_the_dashboard(client, role, login):
    login(client, role)
    assert client.get("/dashboard").status_code == 200


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/dashboard")


def test_the_axis_step_is_a_round_number_and_the_top_covers_the_maximum():
    assert charts.axis(0) == (1, [0, 1])
    assert charts.axis(3) == (3, [0, 1, 2, 3])
    assert charts.axis(17) == (20, [0, 5, 10, 15, 20])
    assert charts.axis(950) == (1000, [0, 500, 1000])


def test_bars_are_proportional_to_their_values():
    chart = charts.bar_chart([("a", 10), ("b", 5), ("c", 0)], width=460)
    full, half, empty = (bar.width for bar in chart.bars)
    assert full == pytest.approx(2 * half)
    assert empty == 0
    assert full == 460 - chart.label_width - 48


def test_long_labels_are_shortened_but_keep_their_full_text_for_the_tooltip():
    label = "comfyui · EXTERNAL_SERVICE_ERROR_WITH_A_VERY_LONG_SUFFIX"
    chart = charts.bar_chart([(label, 3), ("local", 1)])
    assert chart.label_width == charts.LABEL_MAX
    assert chart.bars[0].short_label.endswith("…")
    assert len(chart.bars[0].short_label) * charts.CHAR_WIDTH <= chart.label_width
    assert chart.bars[0].label == label
    assert chart.bars[1].short_label == "local"


def test_stacked_segments_add_up_to_the_column_total():
    chart = charts.stacked_columns(
        ["d1", "d2"],
        [charts.Series("A", [2, 0], "a"), charts.Series("B", [2, 1], "b")],
    )
    first, second = chart.columns
    assert sum(segment.height for segment in first.segments) == pytest.approx(
        4 * sum(segment.height for segment in second.segments), rel=0.01
    )
    assert first.title == "d1: 2 a, 2 b"
    assert [segment.css for segment in second.segments] == ["b"]


def test_a_sparkline_has_a_point_per_value_and_ends_on_the_last_one():
    line = charts.sparkline([0, 4, 2], width=100, height=20)
    points = [tuple(map(float, point.split(","))) for point in line.points.split()]
    assert len(points) == 3
    assert points[1][1] == pytest.approx(3)  # the largest value touches the top padding
    assert (line.last_x, line.last_y) == points[-1]
