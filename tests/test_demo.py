"""`grader demo` end to end: the kit builds and every example submission gets the verdict it deserves."""

import pytest
from click.testing import CliRunner

from grader.cli import cli


@pytest.mark.slow
def test_demo_reaches_every_expected_verdict(tmp_path):
    result = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output[-3000:]
    assert "Demo verdicts: all as expected." in result.output
    for name in ("alice", "dave", "mallory"):
        assert (tmp_path / "demo" / "batch" / "results" / name / "results.json").is_file()
    gradebook = (tmp_path / "demo" / "batch" / "gradebook.csv").read_text().splitlines()
    assert len(gradebook) == 1 + 9 and gradebook[1].startswith("alice,graded,100.0,100.0,")
    assert (tmp_path / "demo" / "kit" / "public_checks" / "manifest.json").is_file()
    pages = sorted(p.stem for p in (tmp_path / "demo" / "batch" / "feedback").glob("*.html"))
    assert pages == sorted(["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "mallory"])
    report = (tmp_path / "demo" / "batch" / "gradebook.html").read_text()
    assert all(f'href="feedback/{name}.html"' in report for name in pages)
