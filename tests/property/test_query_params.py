"""Every query parameter of the API and the review UI, at its type's edges: never a 5xx.

Dates at the ends of the calendar, cursors holding them, integers no column holds, NUL bytes and
endless strings: each is a 4xx in the documented shape, or an ordinary page.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from tests.property.conftest import PROPERTY
from tests.property.contract import assert_documented, query_values

PARAMETERS = [
    "status", "q", "backend", "has_duplicates", "has_warnings", "limit", "page", "cursor",
    "variant", "image_id", "force", "since", "from", "to", "sort", "duplicates", "warnings",
    "ids", "mode", "advance", "actor", "action", "entity_type", "entity_id", "until", "before",
    "after", "blueprint_id", "print_provider_id", "next", "template_id", "variant_id",
]  # fmt: skip
API_PATHS = [
    "/api/v1/images",
    "/api/v2/images",
    "/api/v1/jobs",
    "/api/v2/jobs",
    "/api/v1/publications",
    "/api/v2/publications",
    "/api/v1/webhooks",
    "/api/v2/webhooks",
    "/api/v1/templates",
    "/api/v2/templates",
    "/api/v1/products",
    "/api/v2/products",
    "/api/v1/images/{image}",
    "/api/v1/images/{image}/file",
    "/api/v1/backends",
    "/api/v1/me",
]
UI_PATHS = [
    "/review",
    "/review/cards",
    "/review/events",
    "/review/images/{image}",
    "/dashboard",
    "/audit",
    "/keys",
    "/templates",
    "/templates/new",
    "/webhooks",
]
queries = st.dictionaries(st.sampled_from(PARAMETERS), query_values, max_size=3).map(
    lambda query: urlencode({k: v.encode("utf-8", "surrogatepass") for k, v in query.items()})
)


@pytest.mark.parametrize("path", API_PATHS)
@PROPERTY
@given(query=queries)
def test_api_query_parameters_never_cause_a_5xx(
    prop_app: Flask,
    api_headers: dict[str, str],
    uploaded_image: str,
    path: str,
    query: str,
) -> None:
    response = prop_app.test_client().get(
        path.format(image=uploaded_image), headers=api_headers, query_string=query
    )
    assert_documented(response, api=True)


@pytest.mark.parametrize("path", UI_PATHS)
@PROPERTY
@given(query=queries, last_event=st.none() | query_values)
def test_review_ui_query_parameters_never_cause_a_5xx(
    operator_client: FlaskClient,
    uploaded_image: str,
    path: str,
    query: str,
    last_event: str | None,
) -> None:
    headers = {"Last-Event-ID": last_event} if last_event and last_event.isprintable() else {}
    response = operator_client.get(
        path.format(image=uploaded_image), query_string=query, headers=headers
    )
    response.close()  # /review/events streams until closed
    assert_documented(response, api=False)


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/review", {"from": "0001-01-01", "to": "9999-12-31"}),
        ("/review", {"status": "all", "to": "9999-12-31", "sort": "newest"}),
        ("/review/cards", {"to": "9999-12-31"}),
        ("/audit", {"since": "0001-01-01", "until": "9999-12-31"}),
    ],
)
def test_date_filters_at_the_ends_of_the_calendar_show_the_page(
    operator_client: FlaskClient, path: str, query: dict[str, str]
) -> None:
    assert operator_client.get(path, query_string=query).status_code == 200


@pytest.mark.parametrize(
    ("path", "query"),
    [
        # base64 of "0001-01-01T00:00:00+14:00|x": before year 1 once in UTC
        ("/review", {"after": "MDAwMS0wMS0wMVQwMDowMDowMCsxNDowMHx4"}),
        ("/audit", {"before": str(2**63)}),
        ("/review", {"to": "9999-99-99"}),
    ],
)
def test_out_of_range_ui_positions_are_a_400(
    operator_client: FlaskClient, path: str, query: dict[str, str]
) -> None:
    assert operator_client.get(path, query_string=query).status_code == 400


@pytest.mark.parametrize("path", ["/api/v2/images", "/api/v2/jobs", "/api/v2/webhooks"])
@pytest.mark.parametrize(
    "cursor",
    [
        "MDAwMS0wMS0wMVQwMDowMDowMCsxNDowMHx4",  # 0001-01-01T00:00:00+14:00|x
        "OTk5OS0xMi0zMVQyMzo1OTo1OS0xNDowMHx4",  # 9999-12-31T23:59:59-14:00|x
        "MjAyNi0wMS0wMVQwMDowMDowMCswMDowMHxhAGI",  # a NUL in the id
    ],
)
def test_cursor_beyond_the_calendar_or_with_a_nul_id_is_a_400(
    prop_app: Flask, api_headers: dict[str, str], path: str, cursor: str
) -> None:
    response = prop_app.test_client().get(
        path, headers=api_headers, query_string={"cursor": cursor}
    )
    assert response.status_code == 400
    assert response.get_json()["code"] == "VALIDATION_ERROR"
