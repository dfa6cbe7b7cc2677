"""FileStorage, storage URLs and content-addressed keys."""

from __future__ import annotations

import hashlib
import stat
import threading
from pathlib import Path

import pytest

from gateway.app.imaging import storage as storage_module
from gateway.app.imaging.storage import (
    FileStorage,
    S3Storage,
    Storage,
    StorageKeyNotFound,
    StorageUnavailable,
    original_key,
    storage_from_url,
    thumbnail_key,
    validate_key,
)

SHA = hashlib.sha256(b"image").hexdigest()
PATH_TRICKS = [
    "../outside",
    "originals/../../outside",
    "/etc/passwd",
    "originals\\..\\outside",
    "name\x00.png",
    "",
    "originals//double",
    "./here",
    ".hidden",
    "trailing/",
    "C:/windows",
    "x" * 600,
]


@pytest.fixture
def files(tmp_path: Path) -> FileStorage:
    return FileStorage(tmp_path / "images")


def leftover_temp_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.name.startswith(".tmp-")]


def test_put_then_get_round_trips_under_nested_directories(files):
    key = original_key(SHA, "png")

    files.put(key, b"png bytes", "image/png")

    assert files.get(key) == b"png bytes"
    assert files.exists(key)
    assert (files.root / "originals" / SHA[:2] / SHA[2:4] / f"{SHA}.png").is_file()


def test_put_is_idempotent_and_overwrites(files):
    files.put("a/b.bin", b"first", "application/octet-stream")
    files.put("a/b.bin", b"first", "application/octet-stream")
    assert files.get("a/b.bin") == b"first"

    files.put("a/b.bin", b"second", "application/octet-stream")
    assert files.get("a/b.bin") == b"second"


def test_put_leaves_no_temporary_files_and_readable_permissions(files):
    files.put("a/b.bin", b"data", "application/octet-stream")

    assert leftover_temp_files(files.root) == []
    assert stat.S_IMODE((files.root / "a" / "b.bin").stat().st_mode) == 0o644


def test_failed_write_keeps_the_old_object_and_cleans_up(files, monkeypatch):
    files.put("a/b.bin", b"old", "application/octet-stream")

    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(storage_module.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        files.put("a/b.bin", b"new" * 1000, "application/octet-stream")

    assert files.get("a/b.bin") == b"old"
    assert leftover_temp_files(files.root) == []


def test_reader_never_sees_a_partial_object(files):
    versions = (b"a" * 2_000_000, b"b" * 3_000_000)
    files.put("hot.bin", versions[0], "application/octet-stream")
    done = threading.Event()
    seen: set[int] = set()

    def write() -> None:
        for index in range(40):
            files.put("hot.bin", versions[index % 2], "application/octet-stream")
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    while not done.is_set():
        data = files.get("hot.bin")
        assert data in versions
        seen.add(len(data))
    writer.join()

    assert seen


def test_missing_key_raises_a_key_error(files):
    with pytest.raises(StorageKeyNotFound) as caught:
        files.get("originals/none.png")

    assert isinstance(caught.value, KeyError)
    assert not files.exists("originals/none.png")


def test_a_directory_is_not_an_object(files):
    files.put("a/b.bin", b"data", "application/octet-stream")

    assert not files.exists("a")
    with pytest.raises(StorageKeyNotFound):
        files.get("a")


def test_delete_removes_and_ignores_missing_objects(files):
    files.put("a/b.bin", b"data", "application/octet-stream")

    files.delete("a/b.bin")
    files.delete("a/b.bin")
    files.delete("never/was.bin")

    assert not files.exists("a/b.bin")


@pytest.mark.parametrize("key", PATH_TRICKS)
def test_path_tricks_are_refused(files, key):
    for call in (
        lambda: files.put(key, b"x", "text/plain"),
        lambda: files.get(key),
        lambda: files.exists(key),
        lambda: files.delete(key),
    ):
        with pytest.raises(ValueError, match="invalid storage key"):
            call()
    assert not files.root.exists()


def test_validate_key_returns_a_safe_key():
    assert validate_key("originals/ab/cd/x_y-z.1.png") == "originals/ab/cd/x_y-z.1.png"


def test_check_creates_the_root_and_leaves_nothing_behind(files):
    files.check()

    assert files.root.is_dir()
    assert list(files.root.iterdir()) == []


def test_check_fails_when_the_root_cannot_be_a_directory(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("file")

    with pytest.raises(StorageUnavailable, match="not a writable directory"):
        FileStorage(blocker / "images").check()


def test_file_storage_satisfies_the_protocol(files):
    assert isinstance(files, Storage)


def test_keys_are_content_addressed_and_fanned_out():
    assert original_key(SHA, "jpg") == f"originals/{SHA[:2]}/{SHA[2:4]}/{SHA}.jpg"
    assert thumbnail_key(SHA) == f"thumbnails/{SHA[:2]}/{SHA[2:4]}/{SHA}.webp"


@pytest.mark.parametrize("sha", ["abc", SHA.upper(), SHA[:-1] + "g", f"../{SHA[3:]}"])
def test_keys_refuse_anything_but_a_lowercase_sha256(sha):
    with pytest.raises(ValueError, match="SHA-256"):
        thumbnail_key(sha)


@pytest.mark.parametrize("extension", ["", "../png", "PNG", "p/g", "toolongext"])
def test_original_key_refuses_odd_extensions(extension):
    with pytest.raises(ValueError, match="extension"):
        original_key(SHA, extension)


def test_file_url_gives_file_storage_at_that_path(tmp_path):
    storage = storage_from_url(f"file://{tmp_path}/my%20images")

    assert isinstance(storage, FileStorage)
    assert storage.root == tmp_path / "my images"


def test_s3_url_gives_s3_storage_for_bucket_and_prefix():
    storage = storage_from_url("s3://pod-bucket/gateway/images/", s3_endpoint_url="http://s3.test")

    assert isinstance(storage, S3Storage)
    assert (storage.bucket, storage.prefix) == ("pod-bucket", "gateway/images")
    assert storage.client.meta.endpoint_url == "http://s3.test"
    assert storage.object_key("a.png") == "gateway/images/a.png"


@pytest.mark.parametrize(
    "url",
    ["file://relative/path", "file://host/abs", "s3:///prefix", "ftp://host/x", "/abs/path", ""],
)
def test_unusable_storage_urls_are_refused(url):
    with pytest.raises(ValueError, match="storage URL"):
        storage_from_url(url)
