"""The class report (gradebook.html): counts, score distribution, the class's weak functions,
one row per submission; student text is escaped, never interpreted."""

from __future__ import annotations

from grader.report import write_class_report
from grader.results import make_results, write_results


def _test(name, score, max_score, output=""):
    return {"name": name, "status": "passed" if score == max_score else "failed", "score": score,
            "max_score": max_score, "rel_error": None, "output": output, "visibility": "visible"}


def _write(out, name, tests, status="graded"):
    write_results(make_results(name, "cs231n", status, tests, 2.0), out / "results" / name)


def test_the_report_shows_counts_weak_functions_and_every_submission(tmp_path):
    bug = "rel error 2.5e-01. Likely bug: the regularisation term lacks the 0.5 factor"
    _write(tmp_path, "alice", [_test("layers.relu_forward", 2, 2), _test("fc_net.FullyConnectedNet[loss]", 5, 5)])
    _write(tmp_path, "bob", [_test("layers.relu_forward", 2, 2), _test("fc_net.FullyConnectedNet[loss]", 0, 5, bug)])
    _write(tmp_path, "carol", [_test("layers.relu_forward", 1, 2, "<script>alert('x')</script>"),
                               _test("fc_net.FullyConnectedNet[loss]", 0, 5, bug + "\nsecond line")])
    _write(tmp_path, "dave", [{**_test("layers.relu_forward", 0, 2, "submission could not be graded"), "status": "error"},
                              {**_test("fc_net.FullyConnectedNet[loss]", 0, 5, "x"), "status": "error"}], status="error")
    page = write_class_report(tmp_path, ["alice", "bob", "carol", "dave", "erin"], profile="cs231n").read_text()
    assert "5 submissions" in page and "3 graded" in page and "2 error" in page  # erin has no results.json
    assert "median 2.0 of 7" in page and 'src="data:image/png;base64,' in page
    loss_row = page[page.index("<code>fc_net.FullyConnectedNet</code>"):].split("</tr>")[0]
    assert "33%" in loss_row and "lacks the 0.5 factor <em>(2)</em>" in loss_row  # 1 of 3 graded full; dave not counted
    assert "<script>" not in page and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert 'href="results/carol/results.json"' in page
    assert "missing or unreadable" in page.split(">erin</a>")[1].split("</tr>")[0]


def test_submissions_graded_with_less_than_the_full_sandbox_are_flagged(tmp_path):
    full = {"mode": "namespaces", "full": True, "missing": []}
    landlock = {"mode": "landlock", "full": False, "missing": ["no pid namespace (host processes visible)"]}
    for name, isolation in (("alice", full), ("bob", landlock), ("carol", None)):
        tests = [_test("layers.relu_forward", 2, 2)]
        results = make_results(name, "cs231n", "graded", tests, 1.0, isolation=isolation)
        write_results(results, tmp_path / "results" / name)
    page = write_class_report(tmp_path, ["alice", "bob", "carol"], profile="cs231n").read_text()
    assert "1 submission graded with less than the full" in page and "(bob)" in page
    row = {name: page.split(f">{name}</a>")[1].split("</tr>")[0] for name in ("alice", "bob", "carol")}
    assert "&#9888;" in row["bob"] and "landlock" in row["bob"] and "no pid namespace" in row["bob"]
    assert "&#9888;" not in row["alice"] and "namespaces" in row["alice"]
    assert "&#9888;" not in row["carol"]  # no student code ran: nothing to flag
