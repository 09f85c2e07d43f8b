"""`frontdesk blobs migrate`: local blobs copied to an S3 bucket (moto's S3 server),
resumable after an interruption, verified by reading each copy back."""

from __future__ import annotations

import hashlib
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from frontdesk.cli import main
from frontdesk.storage.blobcopy import Copied, blobs_to_copy, copy_blobs
from frontdesk.storage.blobs import LocalBlobStore
from frontdesk.storage.s3blobs import S3BlobStore, S3Location
from tests.s3 import MIB


class Interrupted(Exception):
    pass


def local_blobs(root: Path, count: int) -> tuple[LocalBlobStore, list[str]]:
    source = LocalBlobStore(root)
    names = [source.put(f"file {index} ".encode() + os.urandom(16)) for index in range(count)]
    return source, names


def test_every_blob_is_copied_and_a_second_run_skips_them(
    tmp_path: Path, s3_location: S3Location
) -> None:
    source, names = local_blobs(tmp_path, 5)
    names.append(source.put(os.urandom(6 * MIB)))  # multipart
    (tmp_path / ".tmp-crashed").write_bytes(b"half")  # not a blob: never copied
    target = S3BlobStore(s3_location)
    first = copy_blobs(source, target, blobs_to_copy(source))
    assert (first.copied, first.skipped, first.failed) == (6, 0, [])
    assert sorted(found.name for found in target.listing()) == sorted(names)
    for name in names:
        assert hashlib.sha256(target.open(name)).hexdigest() == name
    second = copy_blobs(source, target, blobs_to_copy(source))
    assert (second.copied, second.skipped) == (0, 6)


def test_an_interrupted_run_resumes_where_it_stopped(
    tmp_path: Path, s3_location: S3Location
) -> None:
    source, names = local_blobs(tmp_path, 6)
    target = S3BlobStore(s3_location)

    def stop_after_two(copied: Copied) -> None:
        if copied.copied == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        copy_blobs(source, target, blobs_to_copy(source), advance=stop_after_two)
    assert len(list(target.listing())) == 2
    resumed = copy_blobs(source, target, blobs_to_copy(source))
    assert (resumed.copied, resumed.skipped, resumed.failed) == (4, 2, [])
    assert sorted(found.name for found in target.listing()) == sorted(names)


def test_a_copy_of_another_size_is_replaced(tmp_path: Path, s3_location: S3Location) -> None:
    source, (name,) = local_blobs(tmp_path, 1)
    target = S3BlobStore(s3_location)
    target.client.put_object(Bucket=s3_location.bucket, Key=target.key(name), Body=b"trunc")
    copied = copy_blobs(source, target, blobs_to_copy(source))
    assert copied.copied == 1 and target.open(name) == source.open(name)


def test_a_copy_that_does_not_hash_to_its_name_is_reported_and_removed(
    tmp_path: Path, s3_location: S3Location
) -> None:
    source, (good, bad) = local_blobs(tmp_path, 2)
    source.path(bad).write_bytes(b"bit rot on the local disk")
    target = S3BlobStore(s3_location)
    copied = copy_blobs(source, target, blobs_to_copy(source))
    assert copied.failed == [bad] and copied.copied == 1
    assert target.stat(bad) is None and target.stat(good) is not None


def test_the_command_copies_with_counts_then_serves_from_the_bucket(
    tmp_path: Path, s3_location: S3Location
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    _source, names = local_blobs(data_dir / "blobs", 3)
    env = {
        "FRONTDESK_DATA_DIR": str(data_dir),
        "FRONTDESK_S3_BUCKET": s3_location.bucket,
        "FRONTDESK_S3_ENDPOINT_URL": str(s3_location.endpoint_url),
        "FRONTDESK_S3_REGION": "us-east-1",
        "FRONTDESK_S3_ACCESS_KEY_ID": "test-key",
        "FRONTDESK_S3_SECRET_ACCESS_KEY": "test-secret",
    }
    runner = CliRunner()
    result = runner.invoke(main, ["--json", "blobs", "migrate"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"copied": 3, "skipped": 0, "failed": []}
    assert "3/3: copied 3, skipped 0, failed 0" in result.stderr  # not a terminal: counts
    again = runner.invoke(main, ["blobs", "migrate"], env=env, catch_exceptions=False)
    assert "copied 0, skipped 3 already there, failed 0" in again.stdout

    # Switched over, gc sees the bucket: three files no row names, all too young to go.
    gc = runner.invoke(main, ["--json", "blobs", "gc"], env={**env, "FRONTDESK_BLOB_STORE": "s3"})
    assert gc.exit_code == 0, gc.output
    assert json.loads(gc.stdout) == {"kept": 3, "removed": [], "dry_run": False}
    assert sorted(found.name for found in S3BlobStore(s3_location).listing()) == sorted(names)


def test_the_commands_without_a_bucket_say_so(tmp_path: Path) -> None:
    env = {"FRONTDESK_DATA_DIR": str(tmp_path)}
    runner = CliRunner()
    migrate = runner.invoke(main, ["blobs", "migrate"], env=env)
    assert migrate.exit_code == 1 and "FRONTDESK_S3_BUCKET is required" in migrate.output
    gc = runner.invoke(main, ["blobs", "gc"], env={**env, "FRONTDESK_BLOB_STORE": "s3"})
    assert gc.exit_code == 1 and "FRONTDESK_S3_BUCKET is required" in gc.output
    wrong = runner.invoke(main, ["blobs", "gc"], env={**env, "FRONTDESK_BLOB_STORE": "ftp"})
    assert wrong.exit_code == 1 and "FRONTDESK_BLOB_STORE" in wrong.output
    assert "Traceback" not in migrate.output + gc.output + wrong.output


def test_on_a_terminal_the_command_shows_a_progress_bar(
    tmp_path: Path, s3_location: S3Location
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    local_blobs(data_dir / "blobs", 2)
    env = {
        **os.environ,
        "FRONTDESK_DATA_DIR": str(data_dir),
        "FRONTDESK_S3_BUCKET": s3_location.bucket,
        "FRONTDESK_S3_ENDPOINT_URL": str(s3_location.endpoint_url),
        "FRONTDESK_S3_REGION": "us-east-1",
        "FRONTDESK_S3_ACCESS_KEY_ID": "test-key",
        "FRONTDESK_S3_SECRET_ACCESS_KEY": "test-secret",
    }
    primary, secondary = pty.openpty()  # stderr a terminal, as for an operator
    try:
        finished = subprocess.run(
            [sys.executable, "-c", "from frontdesk.cli import main; main()", "blobs", "migrate"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=secondary,
            timeout=120,
            check=False,
        )
        os.close(secondary)
        shown = _read_all(primary)
    finally:
        os.close(primary)
    assert finished.returncode == 0, shown
    assert "copying" in shown and "100%" in shown
    assert "2/2:" not in shown  # the counts are for logs, not terminals
    assert b"copied 2, skipped 0 already there, failed 0" in finished.stdout


def _read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the other end is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")
