"""The byte progress shown while hashing and uploading, when stderr is a file or a pipe."""

import io

from submitter.bytebar import ByteBar


def test_a_pipe_gets_plain_lines_at_each_quarter_and_no_control_codes():
    stream = io.StringIO()
    with ByteBar("uploading", 4_000_000, stream) as bar:
        for _ in range(40):
            bar.advance(100_000)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 4
    assert lines[-1].startswith("uploading: 4.0 MB of 4.0 MB (100%), ")
    assert lines[-1].endswith(" MB/s")
    assert "\x1b" not in stream.getvalue() and "\r" not in stream.getvalue()
