"""A real S3-compatible HTTP server on 127.0.0.1 for tests: moto, plus the presigned-URL checks
moto's server leaves out.

moto serves any object to any request and never checks a presigned URL's signature or expiry.
Real S3 refuses both, so this server puts a WSGI check in front of moto: a request signed in its
headers (a boto3 client) goes through; a presigned URL is checked like S3 checks SigV4 query
authentication (recomputed signature, `X-Amz-Date` + `X-Amz-Expires`) and refused with 403 when
forged or expired; anything else is anonymous and refused (a private bucket).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote

from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

ACCESS_KEY = "testing"
SECRET_KEY = "testing"
REGION = "us-east-1"
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": ACCESS_KEY,
    "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
    "AWS_DEFAULT_REGION": REGION,
}

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def presign_refusal(environ: dict[str, Any], now: datetime) -> str | None:
    """Why S3 would refuse this request (None: it would not), judged as S3 judges query auth."""
    if environ.get("HTTP_AUTHORIZATION"):
        return None
    pairs = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    query = dict(pairs)
    if "X-Amz-Signature" not in query:
        return "AccessDenied: anonymous request to a private bucket"
    signed_at = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    if now > signed_at + timedelta(seconds=int(query["X-Amz-Expires"])):
        return "AccessDenied: Request has expired"
    access_key, _, region, service, _ = query["X-Amz-Credential"].split("/")
    if access_key != ACCESS_KEY:
        return "InvalidAccessKeyId"
    host = environ["HTTP_HOST"]
    # Canonical form, as S3 rebuilds it: clients may send the query encoded differently.
    unsigned = "&".join(
        f"{quote(name, safe='-_.~')}={quote(value, safe='-_.~')}"
        for name, value in pairs
        if name != "X-Amz-Signature"
    )
    request = AWSRequest(
        method=environ["REQUEST_METHOD"],
        url=f"http://{host}{environ['PATH_INFO']}?{unsigned}",
        headers={"host": host},
    )
    request.context["timestamp"] = query["X-Amz-Date"]
    auth = S3SigV4QueryAuth(Credentials(ACCESS_KEY, SECRET_KEY), service, region)
    expected = auth.signature(
        auth.string_to_sign(request, auth.canonical_request(request)), request
    )
    return None if expected == query["X-Amz-Signature"] else "SignatureDoesNotMatch"


def checking_presigned_urls(app: WsgiApp) -> WsgiApp:
    """Wrap moto's WSGI app with S3's refusal of forged, expired and anonymous requests."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        refusal = presign_refusal(environ, datetime.now(UTC))
        if refusal is None:
            return app(environ, start_response)
        code, _, message = refusal.partition(": ")
        body = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
        start_response("403 Forbidden", [("Content-Type", "application/xml")])
        return [body]

    return wrapped


@contextmanager
def running_s3_server() -> Iterator[str]:
    """moto's S3 behind `checking_presigned_urls`, in a thread on a free 127.0.0.1 port; its URL."""
    app = checking_presigned_urls(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
