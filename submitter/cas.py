"""The bucket-wide content-addressed store (CAS): a project's files and its dependency manifest.

Every file goes to `blendbatch-cas/sha256/<hex of its bytes>` and only when that key is absent,
so an unchanged texture is never uploaded twice (not within a job, not across re-submissions,
not across shots sharing a library). The manifest (docs/design.md, "Outside files") maps each
path as the .blend wrote it to a layout path and an object; it is canonical JSON, so the same
project gives the same bytes and the same key `blendbatch-cas/deps/<hex>.json`.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from entrypoint.deplayout import Found, plan_layout
from entrypoint.errors import BadInput, TransientFailure
from submitter.bytebar import ByteBar, megabytes
from submitter.deps import Dependency, why_missing

STORE_DIR = "blendbatch-cas"
FORMAT = 1
READ_CHUNK = 1 << 20
# hashlib releases the GIL on large updates, so threads hash files on several cores at once.
HASH_WORKERS = min(8, os.cpu_count() or 1)
# boto3's client keeps 10 pooled connections: more threads than that only queue for one.
CONNECTIONS = 10
MULTIPART_THRESHOLD = 32 << 20
MULTIPART_CHUNK = 16 << 20


def object_key(sha256: str) -> str:
    return f"{STORE_DIR}/sha256/{sha256}"


def manifest_key(sha256: str) -> str:
    return f"{STORE_DIR}/deps/{sha256}.json"


def canonical(data: dict) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_file(path: str | Path, progress: Callable[[int], None] | None = None) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(READ_CHUNK):
            digest.update(chunk)
            if progress:
                progress(len(chunk))
    return digest.hexdigest()


@dataclass(frozen=True)
class Local:
    """A file as it was when hashed: uploads check it did not change since."""

    path: str
    sha256: str
    size: int
    mtime_ns: int


def hash_files(paths: Iterable[str]) -> dict[str, Local]:
    """Each local file's sha256, hashed in parallel, with a byte progress bar on stderr.

    Ctrl-C (KeyboardInterrupt, which only the main thread gets) stops the hashing threads
    after their current chunk, so the command stops at once rather than after every file."""
    paths = sorted(set(paths))
    stats = {p: os.stat(p) for p in paths}
    stop = threading.Event()
    with ByteBar("hashing", sum(s.st_size for s in stats.values())) as bar:

        def advance(size: int) -> None:
            if stop.is_set():
                raise _Stopped
            bar.advance(size)

        def one(path: str) -> Local:
            sha = sha256_file(path, advance)
            return Local(path, sha, stats[path].st_size, stats[path].st_mtime_ns)

        pool = ThreadPoolExecutor(HASH_WORKERS)
        try:
            return {local.path: local for local in pool.map(one, paths)}
        except BaseException:
            stop.set()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


class _Stopped(Exception):
    """A hashing thread told to stop (the main thread was interrupted)."""


@dataclass(frozen=True)
class Project:
    """A main .blend and its outside files, hashed, with the manifest that pins them."""

    blend: Local
    objects: dict[str, Local]  # sha256 -> one local file with those bytes (the .blend too)
    manifest: bytes
    missing: tuple[Dependency, ...]

    @property
    def manifest_sha256(self) -> str:
        return hashlib.sha256(self.manifest).hexdigest()

    @property
    def content_id(self) -> str:
        return f"sha256:{self.manifest_sha256}"

    def uris(self, bucket: str) -> tuple[str, str]:
        """(the pinned .blend, the manifest) in `bucket`'s store."""
        return (
            f"s3://{bucket}/{object_key(self.blend.sha256)}",
            f"s3://{bucket}/{manifest_key(self.manifest_sha256)}",
        )


def missing_message(missing: Iterable[Dependency]) -> str:
    lines = []
    for dep in missing:
        ref = dep.reference
        lines.append(
            f"  {ref.written} ({ref.kind} {ref.owner} in {dep.referrer}; {why_missing(dep)})"
        )
    return "\n".join(lines)


def prepare(blend: Path, deps: Iterable[Dependency], *, allow_missing: bool, say) -> Project:
    """Check nothing is missing (else BadInput, before any upload), hash, build the manifest."""
    blend = blend.resolve()
    found: list[Found] = []
    missing: list[Dependency] = []
    for dep in deps:
        if dep.status == "missing":
            missing.append(dep)
        elif dep.status == "found":
            ref = dep.reference
            found.append(
                Found(
                    referrer=str(dep.referrer),
                    written=ref.written,
                    path=str(dep.path),
                    files=tuple(str(f) for f in dep.files),
                    kind=ref.kind,
                    owner=ref.owner,
                )
            )
    if missing and not allow_missing:
        raise BadInput(
            f"{len(missing)} outside file(s) the scene needs are missing on this machine:\n"
            f"{missing_message(missing)}\n"
            "fix the paths in Blender (File > External Data > Find Missing Files) and save, "
            "or pass --allow-missing to render without them"
        )
    if missing:
        say(
            f"warning: --allow-missing: rendering without {len(missing)} missing outside "
            f"file(s):\n{missing_message(missing)}"
        )
    layout = plan_layout(str(blend), found)
    hashed = hash_files([str(blend), *layout.files.values()])
    manifest = _manifest(layout, hashed, hashed[str(blend)], missing)
    objects = {local.sha256: local for local in hashed.values()}
    return Project(hashed[str(blend)], objects, canonical(manifest), tuple(missing))


def _manifest(layout, hashed: dict[str, Local], blend: Local, missing: list) -> dict:
    """Format 1, every list sorted: the same project always gives the same bytes."""
    files = [_entry(rel, hashed[local]) for rel, local in layout.files.items()]
    missed = [
        {
            "referrer": layout.layout_of(str(dep.referrer)),
            "written": dep.reference.written,
            "kind": dep.reference.kind,
            "owner": dep.reference.owner,
        }
        for dep in missing
    ]
    paths = {(p["referrer"], p["written"]): p for p in layout.paths}
    return {
        "format": FORMAT,
        "blend": _entry(layout.blend, blend),
        "files": sorted((f for f in files if f["layout"] != layout.blend), key=_by_layout),
        "paths": [paths[k] for k in sorted(paths)],
        "missing": sorted(missed, key=lambda m: (m["referrer"], m["written"])),
    }


def _by_layout(entry: dict) -> str:
    return entry["layout"]


def _entry(layout: str, local: Local) -> dict:
    return {"layout": layout, "sha256": local.sha256, "size": local.size}


@dataclass(frozen=True)
class Uploaded:
    blend_uri: str
    manifest_uri: str
    content_id: str
    bytes_uploaded: int
    files_uploaded: int
    files_present: int


def transfer_config():
    from boto3.s3.transfer import TransferConfig

    return TransferConfig(
        multipart_threshold=MULTIPART_THRESHOLD,
        multipart_chunksize=MULTIPART_CHUNK,
        max_concurrency=CONNECTIONS,
    )


def upload(project: Project, bucket: str, *, copy_to: str | None, say) -> Uploaded:
    """Put every absent object and the manifest in `bucket`'s store; then, server-side, the
    .blend at `copy_to` (the key people look at). Prints what moved."""
    from submitter import aws

    s3 = aws.client("s3")
    blend_uri, manifest_uri = project.uris(bucket)
    with aws.aws_errors(f"s3://{bucket}/{STORE_DIR}/"):
        absent = [project.objects[sha] for sha in _absent(s3, bucket, list(project.objects))]
        _put_files(s3, bucket, absent)
        if _absent(s3, bucket, [manifest_key(project.manifest_sha256)], keys=True):
            s3.put_object(
                Bucket=bucket,
                Key=manifest_key(project.manifest_sha256),
                Body=project.manifest,
                ContentType="application/json",
            )
    if copy_to:
        target_bucket, target_key = aws.split_s3_uri(copy_to)
        with aws.aws_errors(copy_to):
            s3.copy(
                {"Bucket": bucket, "Key": object_key(project.blend.sha256)},
                target_bucket,
                target_key,
                Config=transfer_config(),
            )
    moved = sum(local.size for local in absent)
    present = len(project.objects) - len(absent)
    say(f"uploaded {len(absent)} files ({megabytes(moved)}), {present} already in the store")
    return Uploaded(blend_uri, manifest_uri, project.content_id, moved, len(absent), present)


def _absent(s3, bucket: str, names: list[str], *, keys: bool = False) -> list[str]:
    """The names (sha256s, or keys) with no object yet: one HeadObject each, in parallel."""
    from botocore.exceptions import ClientError

    def missing(name: str) -> bool:
        try:
            s3.head_object(Bucket=bucket, Key=name if keys else object_key(name))
            return False
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return True
            raise

    with ThreadPoolExecutor(CONNECTIONS) as pool:
        return [name for name, gone in zip(names, pool.map(missing, names), strict=True) if gone]


def _put_files(s3, bucket: str, files: list[Local]) -> None:
    """Upload in one shared transfer pool: small files side by side, large ones in parts."""
    if not files:
        return
    from boto3.s3.transfer import create_transfer_manager
    from s3transfer.subscribers import BaseSubscriber

    with ByteBar("uploading", sum(f.size for f in files)) as bar:

        class Progress(BaseSubscriber):
            def on_progress(self, future, bytes_transferred, **kwargs):
                bar.advance(bytes_transferred)

        with create_transfer_manager(s3, transfer_config()) as manager:
            futures = [
                manager.upload(f.path, bucket, object_key(f.sha256), subscribers=[Progress()])
                for f in files
            ]
            for future in futures:
                future.result()
    changed = [f for f in files if _changed(f)]
    if changed:
        # The object would hold other bytes than its key says: remove it, never keep it.
        for f in changed:
            s3.delete_object(Bucket=bucket, Key=object_key(f.sha256))
        raise TransientFailure(
            "changed while uploading: "
            + ", ".join(f.path for f in changed)
            + "; save your work, then submit again"
        )


def _changed(local: Local) -> bool:
    try:
        now = os.stat(local.path)
    except OSError:
        return True
    return (now.st_size, now.st_mtime_ns) != (local.size, local.mtime_ns)
