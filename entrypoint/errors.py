"""Domain exceptions shared by the container entrypoint and the submitter.

Pure: imports no bpy, boto3 or ffmpeg. Exit codes are decided only at the edges
(`entrypoint.__main__`, `submitter.cli`) from `exit_code`; AWS Batch's retry policy relies
on them (design.md): 2 is never retried, 1 is.
"""

from __future__ import annotations

import errno


class BlendbatchError(Exception):
    """Something went wrong; the message says what and how to fix it."""

    exit_code = 1


class BadInput(BlendbatchError):
    """The request itself is wrong: retrying the same thing cannot succeed."""

    exit_code = 2


class TransientFailure(BlendbatchError):
    """A failure worth retrying (network, throttling, a crashed tool)."""

    exit_code = 1


class Terminated(BlendbatchError):
    """SIGTERM arrived (Spot reclaim, job terminated); in-flight work was finished cleanly."""

    exit_code = 143


class Interrupted(BlendbatchError):
    """The user pressed Ctrl-C (SIGINT); what was finished is kept. 130 = 128 + SIGINT, what
    shells report for a command stopped this way."""

    exit_code = 130


# A full disk or a file size limit (ENOSPC, EFBIG, EDQUOT): more disk cures it, so it is
# retryable, never bad input.
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})


def disk_full(error: BaseException, workdir: str) -> TransientFailure | None:
    """The retryable failure a full disk is, naming the disk and the fix; None for the rest."""
    if not isinstance(error, OSError) or error.errno not in DISK_FULL_ERRNOS:
        return None
    where = error.filename or workdir
    return TransientFailure(
        f"the disk holding {where} is full ({error.strerror}): give the job more disk (a larger "
        "volume for its temporary folder, or TMPDIR on a bigger disk); nothing incomplete was "
        "published and the job is retried"
    )
