"""The storage interface on both backends: a local folder and S3 (moto's real S3 HTTP server
on 127.0.0.1). Every test that takes ``store`` runs on each; the rest pin what only one
backend does (a local file written in place, an unreachable object store)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from tests.support.s3_server import S3Server
from workers.config import Settings
from workers.storage import (
    InvalidKey,
    LocalStore,
    NotFound,
    StorageError,
    Store,
    open_storage,
    reset_storage,
    stored_key,
    validate_key,
)
from workers.storage.keys import parse_storage_url
from workers.storage.s3 import S3Store, make_client

BAD_KEYS = [
    "",
    "/etc/passwd",
    "../secret.jpg",
    "submission-1/../../x",
    "submission-1//x.jpg",
    "submission-1/.hidden",
    "submission-1/x.jpg/",
    "a\\b.jpg",
    "frame 1.jpg",
    "caf\u00e9.jpg",
    "x" * 600,
    "/".join(["a"] * 9),
]


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "local":
        yield LocalStore(tmp_path / "root")
        return
    s3: S3Server = request.getfixturevalue("s3")
    client = s3.client()
    bucket = s3.new_bucket()
    yield S3Store(client, bucket, "vv/evidence", scratch=tmp_path / "scratch")


def test_put_read_size_exists_list(store: Store, tmp_path: Path) -> None:
    store.put_bytes("submission-1/attempt-1/000_0003.20s.jpg", b"\xff\xd8frame")
    source = tmp_path / "clip.mp4"
    source.write_bytes(b"v" * 1000)
    store.put_file("submission-1/video.mp4", source)
    store.put_bytes("submission-10/attempt-1/report.json", b"{}")

    assert store.read_bytes("submission-1/attempt-1/000_0003.20s.jpg") == b"\xff\xd8frame"
    assert store.size("submission-1/video.mp4") == 1000
    assert store.exists("submission-1/video.mp4")
    assert not store.exists("submission-1/other.mp4") and store.size("submission-1/other.mp4") is None
    # a prefix is a folder: submission-1 does not hold submission-10's files
    assert store.list_keys("submission-1") == [
        "submission-1/attempt-1/000_0003.20s.jpg",
        "submission-1/video.mp4",
    ]
    assert store.list_keys("submission-1/attempt-1") == ["submission-1/attempt-1/000_0003.20s.jpg"]
    assert store.list_keys("submission-2") == []

    store.put_bytes("submission-1/video.mp4", b"new")  # replaced, not appended
    assert store.read_bytes("submission-1/video.mp4") == b"new"


def test_get_file_and_fetched(store: Store, tmp_path: Path) -> None:
    store.put_bytes("submission-3/video.mp4", b"0123456789")
    dest = tmp_path / "out" / "copy.mp4"
    store.get_file("submission-3/video.mp4", dest)
    assert dest.read_bytes() == b"0123456789"
    with store.fetched("submission-3/video.mp4") as local:
        assert local.read_bytes() == b"0123456789"
    if store.remote:
        assert not local.exists()  # the temporary copy is gone
    else:
        assert local.exists()  # the local store hands out its own file
    with pytest.raises(NotFound):
        store.get_file("submission-3/none.mp4", tmp_path / "none.mp4")
    with pytest.raises(NotFound), store.fetched("submission-3/none.mp4"):
        pass


def test_byte_ranges(store: Store) -> None:
    store.put_bytes("submission-4/video.webm", bytes(range(256)) * 4096)  # 1 MiB: several chunks
    whole = b"".join(store.iter_bytes("submission-4/video.webm"))
    assert whole == bytes(range(256)) * 4096
    assert b"".join(store.iter_bytes("submission-4/video.webm", 10, 19)) == bytes(range(10, 20))
    tail = b"".join(store.iter_bytes("submission-4/video.webm", 1024 * 1024 - 3))
    assert tail == bytes([253, 254, 255])
    with pytest.raises(NotFound):
        store.iter_bytes("submission-4/none.webm")


def test_delete_prefix(store: Store) -> None:
    for key in ("submission-5/attempt-1/a.jpg", "submission-5/attempt-2/b.jpg", "submission-5/video.mp4"):
        store.put_bytes(key, b"x")
    store.put_bytes("submission-50/attempt-1/a.jpg", b"x")
    assert store.delete_prefix("submission-5/attempt-1") == 1
    assert store.list_keys("submission-5") == ["submission-5/attempt-2/b.jpg", "submission-5/video.mp4"]
    assert store.delete_prefix("submission-5") == 2
    assert store.list_keys("submission-5") == []
    assert store.list_keys("submission-50") == ["submission-50/attempt-1/a.jpg"]  # a neighbour survives
    assert store.delete_prefix("submission-5") == 0


def test_scratch_folder_then_put_tree(store: Store) -> None:
    with store.scratch_folder("submission-6/attempt-1") as folder:
        (folder / "000_0001.00s.jpg").write_bytes(b"one")
        (folder / "sub").mkdir()
        (folder / "sub" / "001_0002.00s.jpg").write_bytes(b"two")
        keys = store.put_tree("submission-6/attempt-1", folder)
    assert keys == ["submission-6/attempt-1/000_0001.00s.jpg", "submission-6/attempt-1/sub/001_0002.00s.jpg"]
    assert store.read_bytes(keys[1]) == b"two"
    # the local store's scratch folder is its own folder; a remote one's is temporary
    assert folder.exists() is (not store.remote)


@pytest.mark.parametrize("key", BAD_KEYS)
def test_invalid_keys_are_refused_by_every_verb(store: Store, key: str, tmp_path: Path) -> None:
    source = tmp_path / "f"
    source.write_bytes(b"x")
    calls = [
        lambda: store.put_bytes(key, b"x"),
        lambda: store.put_file(key, source),
        lambda: store.get_file(key, tmp_path / "g"),
        lambda: store.size(key),
        lambda: store.iter_bytes(key),
        lambda: store.list_keys(key),
        lambda: store.delete_prefix(key),
    ]
    for call in calls:
        with pytest.raises(InvalidKey):
            call()
    assert not (tmp_path / "secret.jpg").exists()


def test_good_keys() -> None:
    for key in ("submission-1", "submission-12/attempt-3/000_0003.20s.jpg", "submission-1/video.mp4"):
        assert validate_key(key) == key


def test_local_store_writes_in_place_and_stays_inside(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "evidence")
    with store.scratch_folder("submission-7/attempt-1") as folder:
        assert folder == tmp_path / "evidence" / "submission-7" / "attempt-1"
        frame = folder / "000_0001.00s.jpg"
        frame.write_bytes(b"jpeg")
        store.put_file("submission-7/attempt-1/000_0001.00s.jpg", frame)  # already there: no copy
    assert store.local_path("submission-7/attempt-1/000_0001.00s.jpg") == frame
    assert store.location("submission-7/attempt-1") == str(
        tmp_path / "evidence" / "submission-7" / "attempt-1"
    )
    # a symbolic link inside the root that leads out is refused, not followed
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.jpg").write_bytes(b"secret")
    (tmp_path / "evidence" / "submission-8").symlink_to(outside)
    with pytest.raises(InvalidKey):
        store.read_bytes("submission-8/secret.jpg")
    assert not any(p.name.startswith(".part-") for p in (tmp_path / "evidence").rglob("*"))


def test_stored_key_accepts_own_keys_and_old_paths_only(tmp_path: Path) -> None:
    local = LocalStore(tmp_path / "evidence")
    old = tmp_path / "evidence" / "submission-9" / "attempt-1" / "000_0001.00s.jpg"
    assert (
        stored_key(local, "submission-9/attempt-1/000_0001.00s.jpg", 9)
        == "submission-9/attempt-1/000_0001.00s.jpg"
    )
    assert stored_key(local, str(old), 9) == "submission-9/attempt-1/000_0001.00s.jpg"  # a report before #16
    assert stored_key(local, str(old), 90) is None  # another submission's file
    assert stored_key(local, "submission-90/attempt-1/a.jpg", 9) is None
    assert stored_key(local, str(tmp_path / "evidence" / ".." / "secret.jpg"), 9) is None
    assert stored_key(local, "submission-9/../submission-90/a.jpg", 9) is None
    assert stored_key(local, None, 9) is None
    remote = S3Store(None, "bucket", "vv/evidence", scratch=tmp_path)
    assert stored_key(remote, str(old), 9) is None  # paths mean nothing to a bucket
    assert stored_key(remote, "submission-9/attempt-1/a.jpg", 9) == "submission-9/attempt-1/a.jpg"


def test_storage_url_is_checked_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_storage_url("s3://vidverify-evidence") == ("vidverify-evidence", "")
    assert parse_storage_url("s3://vidverify/prod/eu-1/") == ("vidverify", "prod/eu-1")
    for bad in (
        "https://bucket/x",
        "s3://",
        "s3://B_ucket/x",
        "s3://bucket/../x",
        "s3://bucket/x?y=1",
        "/data",
    ):
        with pytest.raises(ValueError):
            parse_storage_url(bad)
    monkeypatch.setenv("VIDVERIFY_STORAGE_URL", "s3:/bucket")
    with pytest.raises(ValidationError, match="s3://bucket/prefix"):
        Settings.from_env()
    monkeypatch.setenv("VIDVERIFY_STORAGE_URL", "")
    assert Settings.from_env().storage_url is None


def test_open_storage_default_is_the_two_folders(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("VIDVERIFY_STORAGE_URL", raising=False)
    monkeypatch.setenv("VIDVERIFY_EVIDENCE_DIR", str(tmp_path / "ev"))
    monkeypatch.setenv("VIDVERIFY_WORK_DIR", str(tmp_path / "wk"))
    storage = open_storage(Settings.from_env())
    assert not storage.remote
    assert isinstance(storage.evidence, LocalStore) and storage.evidence.root == tmp_path / "ev"
    assert isinstance(storage.downloads, LocalStore) and storage.downloads.root == tmp_path / "wk"
    assert open_storage(Settings.from_env()) is storage  # one per process and configuration
    reset_storage()


def test_open_storage_s3_layout(s3: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bucket = s3.new_bucket()
    for key, value in s3.env(bucket, "prod").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("VIDVERIFY_WORK_DIR", str(tmp_path / "wk"))
    storage = open_storage(Settings.from_env())
    assert storage.remote and storage.url == f"s3://{bucket}/prod"
    storage.evidence.put_bytes("submission-1/attempt-1/report.json", b"{}")
    storage.downloads.put_bytes("submission-1/video.mp4", b"v")
    assert s3.keys(bucket) == [
        "prod/downloads/submission-1/video.mp4",
        "prod/evidence/submission-1/attempt-1/report.json",
    ]
    assert (
        storage.evidence.location("submission-1/attempt-1")
        == f"s3://{bucket}/prod/evidence/submission-1/attempt-1"
    )
    head = s3.client().head_object(Bucket=bucket, Key="prod/downloads/submission-1/video.mp4")
    assert head["ContentType"] == "video/mp4"
    reset_storage()


def test_missing_bucket_and_unreachable_server_are_storage_errors(
    s3: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = S3Store(s3.client(), "vv-no-such-bucket", "", scratch=tmp_path)
    with pytest.raises(StorageError) as caught:
        missing.put_bytes("submission-1/x.jpg", b"x")
    assert not isinstance(caught.value, NotFound)  # not "the file is gone": the store is wrong
    for key, value in s3.env("unused").items():
        monkeypatch.setenv(key, value)
    closed = S3Store(make_client("http://127.0.0.1:9"), "bucket", "", scratch=tmp_path)
    started = time.monotonic()
    with pytest.raises(StorageError, match="object storage"):
        closed.size("submission-1/x.jpg")
    assert time.monotonic() - started < 30


def test_compose_stack_shares_only_the_bucket() -> None:
    """docker-compose.yml (compose cannot run here): the app containers share no volume, and
    their storage settings name the bucket the one-shot service creates, on the MinIO service."""
    import re

    import yaml

    from tests.support.fixture_videos import ROOT

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    apps = [n for n, s in services.items() if str(s.get("command", [""])[0]) == "vidverify"]
    assert {"api", "fetch-worker", "analyse-worker", "migrate"} <= set(apps)

    def default(value: str) -> str:  # ${NAME:-default} as compose fills it in when NAME is unset
        return re.sub(r"\$\{[A-Z0-9_]+:-([^}]*)\}", r"\1", value)

    for name in apps:
        service = services[name]
        assert not service.get("volumes"), f"{name} mounts {service.get('volumes')}"
        env = service["environment"]
        bucket, _prefix = parse_storage_url(default(env["VIDVERIFY_STORAGE_URL"]))
        assert default(env["VIDVERIFY_S3_ENDPOINT_URL"]) == "http://minio:9000"
        assert default(env["AWS_ACCESS_KEY_ID"]) == default(
            services["minio"]["environment"]["MINIO_ROOT_USER"]
        )
        if name != "migrate":
            assert services[name]["depends_on"]["buckets"]["condition"] == "service_completed_successfully"
    assert default(services["buckets"]["environment"]["VIDVERIFY_BUCKET"]) == bucket
    assert "mc mb" in services["buckets"]["command"][0]
