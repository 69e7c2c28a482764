"""A folder on this machine (or mounted into the container) behind the same small interface as
an S3 prefix (`entrypoint.storage.Location`).

Writes are atomic and never follow links: each goes to a new partial file (created
exclusively, random name, O_NOFOLLOW), is synced, then renamed over the final name, so a
reader sees a whole file or nothing, and a link planted in the output redirects nothing.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from entrypoint.errors import BadInput, TransientFailure


def check_relative(rel: str) -> str:
    parts = PurePosixPath(rel).parts
    if rel.startswith("/") or ".." in parts:
        raise BadInput(f"{rel!r} would escape the output location: use a plain relative name")
    return rel


@dataclass(frozen=True)
class LocalDir:
    """A folder on this machine (or one mounted into the container with `-v`)."""

    root: Path

    @property
    def uri(self) -> str:
        return str(self.root)

    def child_uri(self, rel: str) -> str:
        return str(self.root / check_relative(rel))

    def size(self, rel: str) -> int | None:
        path = self.root / check_relative(rel)
        return path.stat().st_size if path.is_file() else None

    def list_dir(self, rel_dir: str) -> dict[str, int]:
        folder = self.root / check_relative(rel_dir)
        if not folder.is_dir():
            return {}
        return {p.name: p.stat().st_size for p in folder.iterdir() if p.is_file()}

    def links(self, rel_dir: str) -> set[str]:
        """Names in `rel_dir` that are symbolic links: nothing of ours is one, so they are
        neither read nor kept (a link could show or receive a file outside the output)."""
        folder = self.root / check_relative(rel_dir)
        if not folder.is_dir():
            return set()
        return {p.name for p in folder.iterdir() if p.is_symlink()}

    def put_file(self, local: Path, rel: str, tags: dict[str, str] | None = None) -> None:
        """Tags are an S3 notion; a folder has nowhere to keep them."""

        def copy(sink) -> None:
            with local.open("rb") as source:
                shutil.copyfileobj(source, sink, 1 << 20)

        self._put(rel, copy)

    def put_bytes(self, data: bytes, rel: str) -> None:
        self._put(rel, lambda sink: sink.write(data))

    def _put(self, rel: str, write) -> None:
        """Write into a partial file of our own, then rename it over the final name.

        The partial is created exclusively under a random name: a link or another attempt's
        file already there (two containers of one slice are both PID 1) is never written
        through or shared. The rename replaces a link at the final name, never its target.
        """
        dest = self.root / check_relative(rel)
        with _local_errors(dest, writing=True):
            self._refuse_links_below(dest.parent)
            dest.parent.mkdir(parents=True, exist_ok=True)
            self._refuse_links_below(dest.parent)
            partial, fd = _create_partial(dest)
            try:
                with os.fdopen(fd, "wb") as sink:
                    write(sink)
                    sink.flush()
                    os.fsync(sink.fileno())
                os.replace(partial, dest)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(partial)
                raise

    def _refuse_links_below(self, folder: Path) -> None:
        """The output's own folders are never links: a write there would land elsewhere."""
        below = folder.relative_to(self.root).parts
        for depth in range(1, len(below) + 1):
            path = self.root.joinpath(*below[:depth])
            if path.is_symlink():
                raise BadInput(
                    f"{path} is a symbolic link: blendbatch never writes through links in the "
                    "output; delete the link (or pick another output folder)"
                )

    def get_file(self, rel: str, local: Path, size: int | None = None) -> None:
        """`size` is for the S3 interface's sake: a copy needs no size."""
        source = self.root / check_relative(rel)
        with _local_errors(source):
            shutil.copyfile(source, local)

    def get_bytes(self, rel: str) -> bytes:
        source = self.root / check_relative(rel)
        with _local_errors(source):
            return source.read_bytes()

    def get_bytes_if_present(self, rel: str) -> bytes | None:
        """The file's bytes, None if there is none or it is a link (never read, see `links`)."""
        source = self.root / check_relative(rel)
        if source.is_symlink() or not source.is_file():
            return None
        return self.get_bytes(rel)


def _create_partial(dest: Path) -> tuple[Path, int]:
    """A new, empty partial file next to `dest`, opened for writing; never an existing name."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    for attempt in range(8):
        partial = dest.with_name(f".{dest.name}.{secrets.token_hex(8)}.partial")
        try:
            return partial, os.open(partial, flags, 0o644)
        except FileExistsError:
            if attempt == 7:
                raise
    raise AssertionError("unreachable")


@contextlib.contextmanager
def _local_errors(path: Path, *, writing: bool = False) -> Iterator[None]:
    try:
        yield
    except FileNotFoundError:
        if writing:  # our own partial or its folder vanished under us: another attempt, --fresh
            raise TransientFailure(
                f"writing {path}: the file being written vanished (another attempt or a "
                "cleanup removed it); retry the job"
            ) from None
        raise BadInput(f"{path} does not exist: check the path") from None
    except (PermissionError, IsADirectoryError, NotADirectoryError) as error:
        raise BadInput(
            f"cannot write or read {path} ({error.strerror}): pick a folder you can write to"
        ) from None
