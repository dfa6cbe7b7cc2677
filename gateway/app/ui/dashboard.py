"""/dashboard: the review and generation numbers of the last two weeks, drawn as SVG."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import render_template

from gateway.app import context as app_context
from gateway.app.extensions import db
from gateway.app.operations import workers
from gateway.app.review import stats
from gateway.app.ui import blueprint, charts
from gateway.app.ui.access import ui_access

REVIEWER_KINDS = {"operator": "", "api_key": "API key · ", "system": "system · "}


def day_label(day: date) -> str:
    return f"{day.day} {day:%b}"


def reviewer_label(reviewer: stats.ReviewerReviews) -> str:
    """Operators by name; keys and the system marked as such, so a key named `alice` stands out."""
    return REVIEWER_KINDS.get(reviewer.kind, f"{reviewer.kind} · ") + reviewer.name


def build_charts(numbers: stats.Dashboard) -> dict[str, Any]:
    """The dashboard's charts, from its numbers."""
    reviews = numbers.reviews_per_day
    output = numbers.throughput
    return {
        "reviews": charts.stacked_columns(
            [day_label(day.day) for day in reviews],
            [
                charts.Series("Approved", [day.approved for day in reviews], "approved"),
                charts.Series("Rejected", [day.rejected for day in reviews], "rejected"),
            ],
        ),
        "throughput": charts.stacked_columns(
            [day_label(day.day) for day in output],
            [
                charts.Series("Generated", [day.generated for day in output], "generated"),
                charts.Series("Uploaded", [day.uploaded for day in output], "uploaded"),
            ],
        ),
        "statuses": charts.bar_chart(
            list(numbers.images_by_status.items()), css=lambda status: f"status-{status}"
        ),
        "reviewers": charts.grouped_bars(
            [reviewer_label(reviewer) for reviewer in numbers.reviewers],
            [
                charts.Series("Approved", [r.approved for r in numbers.reviewers], "approved"),
                charts.Series("Rejected", [r.rejected for r in numbers.reviewers], "rejected"),
            ],
        ),
        "reasons": charts.bar_chart(numbers.reject_reasons, css="rejected"),
        "failures": charts.bar_chart(
            [(f"{item.backend} · {item.error_code}", item.count) for item in numbers.failures],
            css="failed",
        ),
        "trend_reviews": charts.sparkline([day.approved + day.rejected for day in reviews]),
        "trend_generated": charts.sparkline([day.generated for day in output]),
    }


@blueprint.get("/dashboard")
@ui_access("read")
def dashboard() -> str:
    numbers = stats.dashboard(db.session)
    settings = app_context.settings()
    return render_template(
        "ui/dashboard.html",
        numbers=numbers,
        job_workers=workers.summary(db.session, settings.worker_stale_seconds),
        charts=build_charts(numbers),
        day_label=day_label,
        reviewer_label=reviewer_label,
    )
