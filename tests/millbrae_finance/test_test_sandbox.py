"""The suite runs on machines that never ran it: a test may write only inside the repo
and pytest's tmp_path."""

import os
import tempfile

import pytest


def test_a_write_outside_the_repo_and_tmp_path_is_refused():
    with pytest.raises(PermissionError, match="only inside the repo or pytest's tmp_path"):
        open("/tmp/shots-outside-the-repo.pdf", "wb")  # noqa: SIM115
    assert not os.path.exists("/tmp/shots-outside-the-repo.pdf")


def test_a_write_under_tmp_path_and_a_temporary_file_are_allowed(tmp_path):
    (tmp_path / "notice.pdf").write_bytes(b"%PDF")
    with tempfile.TemporaryFile() as handle:
        handle.write(b"ok")
    assert (tmp_path / "notice.pdf").read_bytes() == b"%PDF"
