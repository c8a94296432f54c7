"""The suite runs on machines that never ran it: a test may write only inside the repo
and pytest's tmp_path."""

import os
import tempfile
from pathlib import Path

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


def test_temporary_files_go_under_this_processs_own_pytest_folder(tmp_path_factory):
    # Under pytest-xdist each worker has a folder of its own (.../popen-gw0/), and so do
    # the programs it starts (TMPDIR).
    base = tmp_path_factory.getbasetemp()
    assert Path(tempfile.gettempdir()).is_relative_to(base)
    assert Path(os.environ["TMPDIR"]).is_relative_to(base)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        assert base.name == f"popen-{worker}"
