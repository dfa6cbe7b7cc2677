"""Where image bytes live: a local directory or an S3 bucket, behind one small interface.

Keys are relative, slash-separated names made of letters, digits, `.`, `_` and `-`, each segment
starting with a letter or digit, so no key can climb out of its root, name a hidden file, or
collide with the temporary files a `FileStorage` writes.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import unquote, urlparse, urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from gateway.app.settings import MAX_PRESIGN_SECONDS, Settings

MAX_KEY_LENGTH = 512

_KEY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)*")
_SHA256_PATTERN = re.compile(r"[0-9a-f]{64}")
_EXTENSION_PATTERN = re.compile(r"[a-z0-9]{1,8}")
_TEMP_PREFIX = ".tmp-"
_S3_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
# Content-addressed objects never change under their key, so a browser may keep them for good.
IMMUTABLE_CACHE_CONTROL = "private, max-age=31536000, immutable"


class StorageKeyNotFound(KeyError):
    """No object is stored under this key."""


class StorageUnavailable(Exception):
    """The storage cannot be used right now: missing, unwritable or unreachable."""


@runtime_checkable
class Storage(Protocol):
    """A flat key-to-bytes store; `put` is atomic and overwrites, `delete` is idempotent."""

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def check(self) -> None: ...

    def presigned_url(
        self,
        key: str,
        *,
        expires_in: int,
        content_type: str | None = None,
        filename: str | None = None,
    ) -> str | None:
        """A URL that GETs `key` without credentials; None (the default) where the storage has
        no URL of its own and the gateway serves the bytes."""
        return None

    def presigned_origin(self) -> str | None:
        """The scheme://host[:port] presigned URLs point at; None (the default) without them."""
        return None


def validate_key(key: str) -> str:
    """Return `key` if it is a safe relative key, else raise ValueError."""
    if not isinstance(key, str) or len(key) > MAX_KEY_LENGTH or not _KEY_PATTERN.fullmatch(key):
        raise ValueError(f"invalid storage key {key!r}")
    return key


def original_key(sha256: str, extension: str) -> str:
    """The content-addressed key of an original: `originals/ab/cd/<sha256>.<extension>`."""
    if not _EXTENSION_PATTERN.fullmatch(extension):
        raise ValueError(f"invalid file extension {extension!r}")
    return f"originals/{_fan_out(sha256)}.{extension}"


def thumbnail_key(sha256: str) -> str:
    """The key of an original's thumbnail: `thumbnails/ab/cd/<sha256>.webp`."""
    return f"thumbnails/{_fan_out(sha256)}.webp"


def _fan_out(sha256: str) -> str:
    if not _SHA256_PATTERN.fullmatch(sha256):
        raise ValueError(f"not a lowercase hex SHA-256: {sha256!r}")
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


class FileStorage(Storage):
    """Objects as files under `root`, each written to a temporary file and renamed into place.

    Local files have no URL of their own: `presigned_url` and `presigned_origin` are None.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"FileStorage({str(self.root)!r})"

    def path_for(self, key: str) -> Path:
        """The file that holds `key` (which may not exist)."""
        return self.root / validate_key(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Write `data` so that readers see the old file or the whole new one, never a part.

        The content type is not recorded: the key's extension implies it.
        """
        path = self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(path, data)

    def get(self, key: str) -> bytes:
        """The bytes stored under `key`."""
        try:
            return self.path_for(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise StorageKeyNotFound(key) from None

    def exists(self, key: str) -> bool:
        """Whether an object is stored under `key`."""
        return self.path_for(key).is_file()

    def delete(self, key: str) -> None:
        """Remove the object under `key`, if there is one."""
        try:
            self.path_for(key).unlink()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return

    def check(self) -> None:
        """Raise StorageUnavailable unless the root exists (or can be made) and takes writes."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.root, prefix=_TEMP_PREFIX) as probe:
                probe.write(b"ok")
                probe.flush()
                os.fsync(probe.fileno())
        except OSError as exc:
            raise StorageUnavailable(f"{self.root} is not a writable directory: {exc}") from exc


def _write_atomically(path: Path, data: bytes) -> None:
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=_TEMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    """Make a rename in `directory` durable across a crash."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _s3_client(endpoint_url: str | None) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        config=Config(
            connect_timeout=5,
            read_timeout=30,
            retries={"max_attempts": 4, "mode": "standard"},
            # Checksum headers only where S3 requires them: several S3-compatible servers
            # refuse the ones newer botocore adds by default.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            # Presigned URLs in SigV4: botocore would otherwise sign some with the retired SigV2.
            signature_version="s3v4",
        ),
    )


class S3Storage:
    """Objects in an S3 (or S3-compatible) bucket under an optional key prefix.

    `public_endpoint_url` is where browsers and Printify reach the same bucket when the gateway's
    own `endpoint_url` is an internal name (`http://minio:9000`): presigned URLs sign the host,
    so they are made by a client of that endpoint.
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        client: Any = None,
        *,
        public_endpoint_url: str | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        if self.prefix:
            validate_key(self.prefix)
        self.endpoint_url = endpoint_url
        self.client = client or _s3_client(endpoint_url)
        public = public_endpoint_url not in (None, endpoint_url)
        self.presign_client = _s3_client(public_endpoint_url) if public else self.client

    def __repr__(self) -> str:
        return f"S3Storage(bucket={self.bucket!r}, prefix={self.prefix!r})"

    def object_key(self, key: str) -> str:
        """The bucket key that holds `key`."""
        validate_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Upload `data`; S3 makes a PUT visible all at once or not at all."""
        self.client.put_object(
            Bucket=self.bucket, Key=self.object_key(key), Body=data, ContentType=content_type
        )

    def get(self, key: str) -> bytes:
        """The bytes stored under `key`."""
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as exc:
            if _is_missing(exc):
                raise StorageKeyNotFound(key) from None
            raise
        return response["Body"].read()

    def exists(self, key: str) -> bool:
        """Whether an object is stored under `key`."""
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as exc:
            if _is_missing(exc):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        """Remove the object under `key`; S3 answers the same whether or not it existed."""
        self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))

    def check(self) -> None:
        """Raise StorageUnavailable unless the bucket exists and these credentials reach it."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable(f"S3 bucket {self.bucket!r} is not usable: {exc}") from exc

    def presigned_url(
        self,
        key: str,
        *,
        expires_in: int,
        content_type: str | None = None,
        filename: str | None = None,
    ) -> str:
        """A URL that GETs `key` without credentials until `expires_in` seconds from now.

        Signing is local (no request to S3) and does not check that the object exists. The
        response headers are signed into the URL: the type, an inline `filename` (plain
        characters only) and a long private cache, since keys never change content.
        """
        if not 1 <= expires_in <= MAX_PRESIGN_SECONDS:
            raise ValueError(f"expires_in must be 1..{MAX_PRESIGN_SECONDS} seconds")
        params = {
            "Bucket": self.bucket,
            "Key": self.object_key(key),
            "ResponseCacheControl": IMMUTABLE_CACHE_CONTROL,
        }
        if content_type:
            params["ResponseContentType"] = content_type
        if filename:
            params["ResponseContentDisposition"] = f'inline; filename="{validate_key(filename)}"'
        return str(
            self.presign_client.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=expires_in
            )
        )

    def presigned_origin(self) -> str:
        """The scheme://host[:port] presigned URLs point at (for the page's img-src)."""
        parts = urlsplit(self.presigned_url("origin", expires_in=1))
        return f"{parts.scheme}://{parts.netloc}"


def _is_missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code")) in _S3_MISSING_CODES


def storage_from_url(
    url: str, *, s3_endpoint_url: str | None = None, s3_public_endpoint_url: str | None = None
) -> Storage:
    """The storage a `file:///absolute/path` or `s3://bucket/prefix` URL names."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        path = unquote(parsed.path)
        if parsed.netloc not in ("", "localhost") or not path.startswith("/"):
            raise ValueError(f"file storage URL must be file:///absolute/path, not {url!r}")
        return FileStorage(Path(path))
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise ValueError(f"S3 storage URL must name a bucket: {url!r}")
        return S3Storage(
            parsed.netloc,
            unquote(parsed.path),
            endpoint_url=s3_endpoint_url,
            public_endpoint_url=s3_public_endpoint_url,
        )
    raise ValueError(f"storage URL must start with file:// or s3://, not {url!r}")


def storage_from_settings(settings: Settings) -> Storage:
    """The storage `STORAGE_URL` names, with the S3 endpoints the settings give."""
    return storage_from_url(
        settings.resolved_storage_url,
        s3_endpoint_url=settings.s3_endpoint_url,
        s3_public_endpoint_url=settings.s3_public_endpoint_url,
    )
