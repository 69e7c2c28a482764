"""`blendbatch report JOB|OUTPUT`: the job report page the stitch wrote, opened here.

A local output (a `blendbatch run` folder) is opened where it is. From S3 (an `s3://` output
or a job id, whose render command names the output) the page and the files it shows (the
video and its previews, by their relative names in the page) are downloaded to one folder
first, so the page plays its video with no network.
"""

from __future__ import annotations

import hashlib
import tempfile
import webbrowser
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Annotated
from urllib.parse import unquote, urlsplit

import typer

from entrypoint.errors import BadInput
from entrypoint.layout import REPORT_NAME, normal_location
from submitter import options


class _Sources(HTMLParser):
    """The relative files a page loads or links: `src`, `poster` and `href` values."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        for key, value in attrs:
            if key in ("src", "poster", "href") and value:
                name = _local_name(value)
                if name and name not in self.names:
                    self.names.append(name)


def _local_name(url: str) -> str | None:
    """A plain file name next to the page, or None (another scheme, a folder, a fragment)."""
    parts = urlsplit(url)
    name = unquote(parts.path)
    if parts.scheme or parts.netloc or not name or "/" in name or name in (".", ".."):
        return None
    return name


def referenced_files(page: str) -> list[str]:
    parser = _Sources()
    parser.feed(page)
    return parser.names


def output_of(target: str) -> str:
    """The output root (`<output>/<name>`) a job id or an output location names."""
    if target.startswith("s3://"):
        return normal_location(target)
    if Path(target).exists():
        return target
    if "/" in target or target.startswith("."):
        raise BadInput(
            f"{target}: no such folder; give a `blendbatch run` output folder, an s3:// output "
            "or a job id"
        )
    from submitter import outputs

    return outputs.output_of(target)[0]


def download(root: str, folder: Path, say: Callable[[str], None]) -> Path:
    """The page and the files it shows, from `root` (S3) into `folder`; the page's path.
    The page is fetched last, so a page in the folder always has its files beside it."""
    from submitter import aws

    _, listed = aws.list_folder(root)
    sizes = {f["Name"]: f["Size"] for f in listed}
    if REPORT_NAME not in sizes:
        raise BadInput(
            f"no {REPORT_NAME} in {root}: the stitch writes it with the video; check that the "
            "stitch succeeded (`blendbatch status JOB`), or run it again"
        )
    folder.mkdir(parents=True, exist_ok=True)
    staged = folder / f".{REPORT_NAME}.fetched"
    aws.download(f"{root}/{REPORT_NAME}", staged)
    for name in referenced_files(staged.read_text(encoding="utf-8", errors="replace")):
        if name not in sizes:
            say(f"warning: {root}/{name} is not there; the page shows it as missing")
        elif not _same_size(folder / name, sizes[name]):
            aws.download(f"{root}/{name}", folder / name)
    staged.replace(folder / REPORT_NAME)
    return folder / REPORT_NAME


def _same_size(path: Path, size: int) -> bool:
    return path.is_file() and path.stat().st_size == size


def default_folder(root: str) -> Path:
    """A folder of its own for each output, under the system's temporary folder."""
    digest = hashlib.sha256(root.encode()).hexdigest()[:12]
    tail = root.rstrip("/").rsplit("/", 1)[-1] or "output"
    return Path(tempfile.gettempdir()) / "blendbatch-reports" / f"{tail}-{digest}"


def report(
    target: Annotated[
        str, typer.Argument(help="a job id, an s3:// output, or a local output folder")
    ],
    to: Annotated[
        Path | None,
        typer.Option("--to", help="folder to download an S3 report into (default: a temp folder)"),
    ] = None,
    no_open: Annotated[
        bool, typer.Option("--no-open", help="only print the page's path, do not open it")
    ] = False,
) -> None:
    """The job report page (video, contact sheet, render times, children, warnings)."""
    root = output_of(target)
    if root.startswith("s3://"):
        root = root.rstrip("/")
        page = download(root, to or default_folder(root), lambda line: typer.echo(line, err=True))
    else:
        page = Path(root) / REPORT_NAME
        if not page.is_file():
            raise BadInput(
                f"no {REPORT_NAME} in {root}: the stitch writes it with the video; run the "
                "stitch again (`blendbatch run` with the same options renders nothing twice)"
            )
    typer.echo(str(page.resolve()))
    if not no_open:
        webbrowser.open(page.resolve().as_uri())


def add_to(app: typer.Typer, edge: Callable[[Callable], Callable]) -> None:
    """Register `report` on `app`; `edge` maps our errors to exit codes."""
    app.command()(edge(options.with_aws(report)))
