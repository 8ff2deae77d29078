"""Per-student feedback pages: one self-contained HTML page per graded submission.

`grader batch` writes OUT/feedback/NAME.html for every submission of the ledger (the class
report links each one); `grader grade --html` writes OUT/feedback.html. A page shows each
function's verdict, its points, the size of its error, the classic bug the grader recognised
and any warnings; the notebooks' accuracy with its formula and points; the learning curves of
the models the student's notebooks trained; and, after a regrade, the old and new score and
the tests whose verdict changed.

What a page may show is what grader.disclose allows: a hidden test appears as hidden, with its
verdict and never its inputs or expected values. Every text that came from a submission is
escaped by the template (jinja2 autoescape); the page loads nothing from the network (inline
CSS, inline SVG charts drawn here from numbers).

Learning curves: the executed notebooks (OUT/notebooks/*.ipynb, written by grading) are read as
JSON, never executed; the only thing taken from them is what the course's Solver prints,
"(Iteration i / n) loss: L" and "(Epoch e / n) train acc: a; val_acc: v", parsed as numbers
(untrusted: anything else, or a non-finite number, is ignored).
"""

from __future__ import annotations

import html
import json
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from markupsafe import Markup

from . import disclose, regrade

FEEDBACK_FOLDER = "feedback"
TEMPLATES = Path(__file__).resolve().parent / "templates"
MAX_NOTEBOOK_BYTES = 64 << 20
MAX_RUNS = 6  # learning curves per notebook
MAX_POINTS = 400  # points per curve (evenly thinned beyond)
MAX_OUTPUT_CHARS = 1500

_ITERATION = re.compile(r"\(Iteration (\d+) / (\d+)\) loss: ([0-9.eE+-]+|nan|inf)")
_EPOCH = re.compile(r"\(Epoch (\d+) / (\d+)\) train acc: ([0-9.eE+-]+); val_acc: ([0-9.eE+-]+)")


# ----------------------------------------------------------------------------- learning curves


@dataclass
class Run:
    """One Solver's training as its printed log shows it."""

    cell: int
    loss: list[tuple[float, float]] = field(default_factory=list)  # (iteration, loss)
    train: list[tuple[float, float]] = field(default_factory=list)  # (epoch, train accuracy)
    val: list[tuple[float, float]] = field(default_factory=list)  # (epoch, validation accuracy)

    @property
    def useful(self) -> bool:
        return len(self.loss) >= 2 or len(self.train) >= 2


def _number(text: str) -> float | None:
    try:
        x = float(text)
    except ValueError:
        return None
    return x if math.isfinite(x) and abs(x) < 1e12 else None


def _stream_text(output) -> str:
    if not isinstance(output, dict) or output.get("output_type") != "stream":
        return ""
    text = output.get("text", "")
    if isinstance(text, list):
        text = "".join(t for t in text if isinstance(t, str))
    return text if isinstance(text, str) else ""


def training_runs(notebook: Path) -> list[Run]:
    """The Solver runs an executed notebook printed (read as JSON; nothing is executed)."""
    try:
        if notebook.stat().st_size > MAX_NOTEBOOK_BYTES:
            return []
        nb = json.loads(notebook.read_text(encoding="utf-8", errors="replace"))
    except (OSError, ValueError):
        return []
    cells = nb.get("cells") if isinstance(nb, dict) else None
    runs: list[Run] = []
    for index, cell in enumerate(cells if isinstance(cells, list) else []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        text = "".join(_stream_text(o) for o in (cell.get("outputs") or []) if isinstance(cell.get("outputs"), list))
        run, last_iter, last_epoch = None, math.inf, math.inf
        for line in text.splitlines():
            if m := _ITERATION.search(line):
                it, loss = int(m.group(1)), _number(m.group(3))
                if run is None or it <= last_iter:
                    run = Run(index)
                    runs.append(run)
                    last_epoch = -1
                last_iter = it
                if loss is not None:
                    run.loss.append((it, loss))
            elif m := _EPOCH.search(line):
                ep, tr, va = int(m.group(1)), _number(m.group(3)), _number(m.group(4))
                if run is None or ep < last_epoch or (ep == 0 and run.train):
                    run = Run(index)
                    runs.append(run)
                    last_iter = -1
                last_epoch = ep
                if tr is not None:
                    run.train.append((ep, tr))
                if va is not None:
                    run.val.append((ep, va))
    return [r for r in runs if r.useful]


def _thin(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    if len(points) <= MAX_POINTS:
        return points
    step = len(points) / MAX_POINTS
    return [points[int(i * step)] for i in range(MAX_POINTS)] + [points[-1]]


def svg_chart(series: list[tuple[str, list[tuple[float, float]], str]], *, xlabel: str, ylabel: str,
              width: int = 340, height: int = 200) -> Markup:
    """A line chart as inline SVG. Only numbers formatted here and fixed labels go into it."""
    pts = [p for _, s, _ in series for p in s]
    if not pts:
        return Markup("")
    x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
    y0, y1 = min(p[1] for p in pts), max(p[1] for p in pts)
    if x1 == x0:
        x1 = x0 + 1
    if y1 == y0:
        y1 = y0 + 1
    left, right, top, bottom = 46, 10, 10, 34
    w, h = width - left - right, height - top - bottom

    def sx(x):
        return left + (x - x0) / (x1 - x0) * w

    def sy(y):
        return top + (1 - (y - y0) / (y1 - y0)) * h

    esc = html.escape
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{esc(ylabel)} against {esc(xlabel)}" class="chart">',
             f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="#fafafa" stroke="#bbb"/>']
    for frac in (0.0, 0.5, 1.0):
        yv = y0 + frac * (y1 - y0)
        parts.append(f'<text x="{left - 4}" y="{sy(yv) + 4:.1f}" text-anchor="end" font-size="10">{yv:.3g}</text>')
        xv = x0 + frac * (x1 - x0)
        parts.append(f'<text x="{sx(xv):.1f}" y="{top + h + 13}" text-anchor="middle" font-size="10">{xv:.4g}</text>')
    parts.append(f'<text x="{left + w / 2:.1f}" y="{height - 4}" text-anchor="middle" font-size="11">{esc(xlabel)}</text>')
    parts.append(f'<text x="12" y="{top + h / 2:.1f}" text-anchor="middle" font-size="11" '
                 f'transform="rotate(-90 12 {top + h / 2:.1f})">{esc(ylabel)}</text>')
    for i, (label, s, colour) in enumerate(series):
        if not s:
            continue
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in _thin(s))
        parts.append(f'<polyline fill="none" stroke="{esc(colour)}" stroke-width="1.5" points="{path}"/>')
        parts.append(f'<text x="{left + w - 4}" y="{top + 12 + 12 * i}" text-anchor="end" font-size="10" '
                     f'fill="{esc(colour)}">{esc(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def curves(notebooks: Path) -> list[dict]:
    """[{notebook, charts: [{cell, loss_svg, acc_svg, final}]}] for the executed notebooks in `notebooks`."""
    out = []
    if not Path(notebooks).is_dir():
        return out
    for nb in sorted(Path(notebooks).glob("*.ipynb")):
        runs = training_runs(nb)
        if not runs:
            continue
        charts = []
        for run in runs[-MAX_RUNS:]:
            final = []
            if run.train:
                final.append(f"final train accuracy {run.train[-1][1]:.3f}")
            if run.val:
                final.append(f"final validation accuracy {run.val[-1][1]:.3f}")
            charts.append({
                "cell": run.cell,
                "loss_svg": svg_chart([("loss", run.loss, "#4c72b0")], xlabel="iteration", ylabel="loss")
                if len(run.loss) >= 2 else Markup(""),
                "acc_svg": svg_chart([("train", run.train, "#dd8452"), ("validation", run.val, "#55a868")],
                                     xlabel="epoch", ylabel="accuracy") if len(run.train) >= 2 else Markup(""),
                "final": "; ".join(final),
            })
        out.append({"notebook": nb.name, "charts": charts,
                    "more": max(0, len(runs) - MAX_RUNS)})
    return out


# ----------------------------------------------------------------------------- the page


def _short(text: str, limit: int = MAX_OUTPUT_CHARS) -> str:
    text = str(text or "")
    return text if len(text) <= limit else text[:limit] + f" ... ({len(text) - limit} more characters)"


def function_rows(results: dict) -> list[dict]:
    """One row per checked function (in the order of its first test), with its tests."""
    rows: dict[str, dict] = {}
    for t in results.get("tests", []):
        if not isinstance(t, dict) or "name" not in t:
            continue
        fn = str(t["name"]).split("[")[0]
        row = rows.setdefault(fn, {"name": fn, "score": 0.0, "max_score": 0.0, "tests": [], "hints": [],
                                   "passed": 0, "worst": None, "warnings": 0})
        row["score"] += float(t.get("score", 0.0))
        row["max_score"] += float(t.get("max_score", 0.0))
        row["passed"] += t.get("status") == "passed"
        hidden = disclose.is_hidden(t)
        rel = t.get("rel_error")
        if isinstance(rel, (int, float)) and t.get("status") != "passed":
            row["worst"] = rel if row["worst"] is None else max(row["worst"], rel)
        warnings = [str(w) for w in t.get("warnings") or [] if not hidden] if isinstance(t.get("warnings"), list) else []
        row["warnings"] += len(warnings)
        for h in disclose.hints(t):
            if h not in row["hints"]:
                row["hints"].append(h)
        case = str(t["name"])[len(fn):].strip("[]") or "-"
        row["tests"].append({"case": case, "status": t.get("status"), "hidden": hidden,
                             "verdict": disclose.verdict_words(t), "rel_error": rel,
                             "score": float(t.get("score", 0.0)), "max_score": float(t.get("max_score", 0.0)),
                             "output": _short(disclose.shown_output(t)), "warnings": warnings})
    for row in rows.values():
        n = len(row["tests"])
        row["verdict"] = ("passed" if row["passed"] == n else "failed" if row["passed"] == 0 else
                          f"{n - row['passed']} of {n} tests failed")
        row["ok"] = row["passed"] == n
    return list(rows.values())


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True)
    env.filters["num"] = lambda x, fmt="%.2f": "" if x is None else fmt % x
    return env


def render_feedback(results: dict, *, notebooks: Path | None = None, delta: dict | None = None,
                    report_link: str | None = None) -> str:
    """The feedback page of one submission's results (see the module docstring)."""
    acc = results.get("accuracy") if isinstance(results.get("accuracy"), dict) else None
    course = results.get("course") if isinstance(results.get("course"), dict) else {}
    accuracy_tests = [dict(t, output=_short(disclose.shown_output(t))) for t in results.get("tests", [])
                      if isinstance(t, dict) and str(t.get("name", "")).endswith("[accuracy]")]
    max_score = float(results.get("max_score") or 0.0)
    return _environment().get_template("feedback.html").render(
        r=results, name=str(results.get("submission", "")), course=course, accuracy=acc,
        accuracy_tests=accuracy_tests,
        percent=100 * float(results.get("score", 0.0)) / max_score if max_score else 0.0,
        functions=function_rows(results), curves=curves(notebooks) if notebooks else [],
        delta=delta,
        hidden_note=disclose.HIDDEN_NOTE, report_link=report_link, generated=time.strftime("%Y-%m-%d %H:%M"),
    )


def write_feedback(results: dict, path: Path, *, notebooks: Path | None = None, delta: dict | None = None,
                   report_link: str | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(render_feedback(results, notebooks=notebooks, delta=delta, report_link=report_link),
                   encoding="utf-8")
    tmp.replace(path)
    return path


def write_feedback_pages(out_dir: Path, names: list[str], *, echo=None) -> Path:
    """OUT/feedback/NAME.html for each submission of a batch (from OUT/results/NAME/)."""
    out_dir = Path(out_dir)
    folder = out_dir / FEEDBACK_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        result_dir = out_dir / "results" / name
        try:
            results = json.loads((result_dir / "results.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            results = {"submission": name, "profile": "", "status": "error", "score": 0.0, "max_score": 0.0,
                       "execution_time": 0.0, "tests": [], "accuracy": None,
                       "course": {"error": "results.json is missing or unreadable"}}
        write_feedback(results, folder / f"{name}.html", notebooks=result_dir / "notebooks",
                       delta=regrade.read_delta(result_dir), report_link="../gradebook.html")
    return folder
