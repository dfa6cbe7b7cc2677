"""The print-file token URL: issued for one publication, good for PRINT_FILE_URL_SECONDS."""

from __future__ import annotations

import pytest

from gateway.app.errors import NotFound
from gateway.app.extensions import db
from gateway.app.publishing import publication_files


def test_a_token_names_the_publication_it_was_issued_for(app):
    context = app.extensions["publishing"]
    token = publication_files.print_file_token(context, "pub_one")
    assert publication_files.publication_for_token(context, token) == "pub_one"
    assert publication_files.publication_for_token(context, token + "x") is None


def test_a_token_older_than_a_presigned_url_is_refused(app, monkeypatch):
    context = app.extensions["publishing"]
    token = publication_files.print_file_token(context, "pub_one")
    monkeypatch.setattr(publication_files, "PRINT_FILE_URL_SECONDS", -1)
    assert publication_files.publication_for_token(context, token) is None


def test_a_genuine_token_for_an_unknown_publication_is_not_found_like_a_forged_one(app):
    context = app.extensions["publishing"]
    token = publication_files.print_file_token(context, "pub_gone")
    with app.app_context():
        for presented in (token, "forged"):
            with pytest.raises(NotFound):
                publication_files.print_file(db.session, context, "pub_gone", presented)
