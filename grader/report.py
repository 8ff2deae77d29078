"""The class report: one self-contained HTML page from a batch's results (gradebook.html).

What course staff look at after a batch: how many submissions ended how, the score
distribution, which functions the class got wrong and the failure seen most often for each,
one row per submission with its first failing test, which submissions were graded with less
than the sandbox's full isolation (results.json's `isolation`), and the warnings (what the
assignment does not ask but a submission does: docs/grading-policy.md). Everything shown is read from the
results.json files the grading processes wrote; text that came from student code (error
messages, printed output) is HTML-escaped by the template, never interpreted. A hidden test's
output appears only as grader.disclose allows (its verdict, never its inputs or expected
values); each submission links to its feedback page (feedback/NAME.html), and a regrade's
changes (old score, new score, the tests whose verdict changed) have their own section.
"""

from __future__ import annotations

import base64
import io
import json
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from .disclose import shown_output
from .regrade import read_delta
from .results import function_points

REPORT = "gradebook.html"
MESSAGE_CHARS = 160

TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Gradebook: {{ title }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.graded { color: #1a7f37; } .error, .timeout { color: #cf222e; font-weight: bold; }
.low { background: #fff1f0; }
.weak { color: #9a6700; font-weight: bold; }
code { font-size: 0.95em; }
</style></head><body>
<h1>Gradebook: {{ title }}</h1>
<p>{{ rows|length }} submissions, profile <code>{{ profile }}</code>; generated {{ generated }}.
{% for status, n in statuses %}<span class="{{ status }}">{{ n }} {{ status }}</span>{% if not loop.last %}, {% endif %}{% endfor %}.
{% if scores %}Score: mean {{ "%.1f"|format(mean) }}, median {{ "%.1f"|format(median) }} of {{ "%g"|format(max_score) }}.{% endif %}</p>
{% if weak %}<p class="weak">Sandbox: {{ weak|length }} submission{{ "s" if weak|length != 1 }} graded with less than the full
isolation ({{ weak|join(", ") }}): student code was not confined to a private root holding only what it needs, with its own
processes and no network. See the <em>sandbox</em> column and each results.json's <code>isolation</code>.</p>{% endif %}
{% if histogram %}<img alt="score distribution" src="data:image/png;base64,{{ histogram }}">{% endif %}

<h2>By function</h2>
<p>Mean points over graded submissions; the failure seen most often, with how many submissions showed it;
the warning seen most often (costing no points unless the course's settings weigh it).</p>
<table><tr><th>function</th><th>max</th><th>mean</th><th>full marks</th><th>most frequent failure</th><th>most frequent warning</th></tr>
{% for f in functions %}<tr{% if f.full_fraction < 0.5 %} class="low"{% endif %}>
<td><code>{{ f.name }}</code></td><td class="num">{{ "%g"|format(f.max_points) }}</td>
<td class="num">{{ "%.2f"|format(f.mean) }}</td><td class="num">{{ "%.0f"|format(100 * f.full_fraction) }}%</td>
<td>{% if f.top_failure %}{{ f.top_failure }} <em>({{ f.top_count }})</em>{% endif %}</td>
<td>{% if f.top_warning %}{{ f.top_warning }} <em>({{ f.top_warning_count }})</em>{% endif %}</td></tr>
{% endfor %}</table>

{% if regrades %}
<h2 id="regrades">Regrade changes</h2>
<p>Submissions whose score or test verdicts changed at their last grading (the previous results are kept in
<code>results/NAME/history/</code>).</p>
<table><tr><th>submission</th><th>old score</th><th>new score</th><th>why</th><th>tests whose verdict changed</th></tr>
{% for d in regrades %}<tr class="regrade" data-submission="{{ d.name }}"><td><a href="feedback/{{ d.name }}.html">{{ d.name }}</a></td>
<td class="num">{{ "%g"|format(d.old_score or 0) }}</td><td class="num">{{ "%g"|format(d.new_score or 0) }}</td><td>{{ d.reason }}</td>
<td>{% for c in d.changed[:8] %}<code>{{ c.name }}</code> {{ c.old or "-" }} &rarr; {{ c.new or "-" }}{% if not loop.last %}; {% endif %}{% endfor %}{% if d.changed|length > 8 %} and {{ d.changed|length - 8 }} more{% endif %}</td></tr>
{% endfor %}</table>
{% endif %}

<h2>Submissions</h2>
<table><tr><th>submission</th><th>status</th><th>score</th><th>%</th><th>accuracy</th><th>seconds</th><th>sandbox</th>
<th>first failing test</th><th>warnings</th></tr>
{% for r in rows %}<tr>
<td><a href="feedback/{{ r.name }}.html">{{ r.name }}</a> <small>(<a href="results/{{ r.name }}/results.json">json</a>)</small></td><td class="{{ r.status }}">{{ r.status }}</td>
<td class="num">{{ "%.1f"|format(r.score) }}</td><td class="num">{{ "%.1f"|format(r.percent) }}</td>
<td class="num">{% if r.accuracy is not none %}{{ "%.3f"|format(r.accuracy) }}{% endif %}</td>
<td class="num">{{ "%.1f"|format(r.seconds) }}</td>
<td{% if r.sandbox_weak %} class="weak" title="{{ r.sandbox }}"{% endif %}>{% if r.sandbox_weak %}&#9888; {% endif %}{{ r.sandbox_mode }}</td>
<td>{% if r.first_failure %}<code>{{ r.first_failure[0] }}</code>: {{ r.first_failure[1] }}{% endif %}</td>
<td class="num">{{ r.warnings }}</td></tr>
{% endfor %}</table>
</body></html>
"""


@dataclass
class FunctionStats:
    name: str
    max_points: float = 0.0
    points: list[float] = field(default_factory=list)
    failures: Counter = field(default_factory=Counter)
    warnings: Counter = field(default_factory=Counter)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.points) if self.points else 0.0

    @property
    def full_fraction(self) -> float:
        return sum(p >= self.max_points - 1e-9 for p in self.points) / len(self.points) if self.points else 0.0

    @property
    def top_failure(self) -> str:
        return self.failures.most_common(1)[0][0] if self.failures else ""

    @property
    def top_count(self) -> int:
        return self.failures.most_common(1)[0][1] if self.failures else 0

    @property
    def top_warning(self) -> str:
        return self.warnings.most_common(1)[0][0] if self.warnings else ""

    @property
    def top_warning_count(self) -> int:
        return self.warnings.most_common(1)[0][1] if self.warnings else 0


def _first_line(text: str) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line[:MESSAGE_CHARS] + ("..." if len(line) > MESSAGE_CHARS else "")


def _histogram(percents: list[float]) -> str:
    """A PNG of the score distribution, base64 (the page stays one file)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 2.4), dpi=90)
    ax = fig.add_subplot()
    ax.hist(percents, bins=[i * 5 for i in range(21)], color="#4c72b0", edgecolor="white")
    ax.set_xlabel("score (% of max)")
    ax.set_ylabel("submissions")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _sandbox(isolation: dict | None) -> dict:
    """The sandbox column: the mode, flagged when less than the full isolation (no record: no
    student code ran, nothing to flag)."""
    from .sandbox.isolation import describe

    if not isinstance(isolation, dict):
        return dict(sandbox_mode="", sandbox="", sandbox_weak=False)
    return dict(sandbox_mode=str(isolation.get("mode", "?")), sandbox=describe(isolation),
                sandbox_weak=not isolation.get("full", False))


def write_class_report(out_dir: Path, names: list[str], *, profile: str, title: str = "") -> Path:
    """Write out_dir/gradebook.html from out_dir/results/NAME/results.json for each of `names`."""
    out_dir = Path(out_dir)
    rows, functions, regrades = [], {}, []
    for name in sorted(names):
        if (d := read_delta(out_dir / "results" / name)) is not None:
            regrades.append(dict(d, name=name))
        try:
            results = json.loads((out_dir / "results" / name / "results.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            rows.append(dict(name=name, status="error", score=0.0, max_score=0.0, percent=0.0, accuracy=None,
                             seconds=0.0, first_failure=("results.json", "missing or unreadable"), warnings=0,
                             **_sandbox(None)))
            continue
        first = next((t for t in results["tests"] if t["status"] != "passed"), None)
        acc = results.get("accuracy")
        rows.append(dict(
            name=name, status=results["status"], score=results["score"], max_score=results["max_score"],
            percent=100 * results["score"] / results["max_score"] if results["max_score"] else 0.0,
            accuracy=acc.get("value") if isinstance(acc, dict) else None, seconds=results["execution_time"],
            first_failure=(first["name"], _first_line(shown_output(first)) or first["status"]) if first else None,
            warnings=sum(len(t.get("warnings") or []) for t in results["tests"]),  # results written before had none
            **_sandbox(results.get("isolation")),
        ))
        if results["status"] != "graded":
            continue  # a submission that could not be graded says nothing about the functions
        first_failures: dict[str, str] = {}
        warned: dict[str, set[str]] = {}
        for t in results["tests"]:
            if t["status"] != "passed":
                first_failures.setdefault(t["name"].split("[")[0], _first_line(shown_output(t)) or t["status"])
            for w in t.get("warnings") or []:
                warned.setdefault(t["name"].split("[")[0], set()).add(_first_line(w))
        for fn, (got, most) in function_points(results).items():
            stats = functions.setdefault(fn, FunctionStats(fn))
            stats.max_points = max(stats.max_points, most)
            stats.points.append(got)
            if fn in first_failures:
                stats.failures[first_failures[fn]] += 1
            for w in warned.get(fn, ()):
                stats.warnings[w] += 1
    graded = [r for r in rows if r["status"] == "graded"]
    scores = [r["score"] for r in graded]
    max_score = max((r["max_score"] for r in graded), default=0.0)
    page = jinja2.Environment(autoescape=True).from_string(TEMPLATE).render(
        title=title or out_dir.name, profile=profile, generated=time.strftime("%Y-%m-%d %H:%M"),
        rows=rows, statuses=sorted(Counter(r["status"] for r in rows).items()),
        scores=scores, mean=statistics.fmean(scores) if scores else 0.0,
        median=statistics.median(scores) if scores else 0.0, max_score=max_score,
        histogram=_histogram([r["percent"] for r in graded]) if graded else "",
        weak=[r["name"] for r in rows if r["sandbox_weak"]],
        functions=list(functions.values()), regrades=regrades,
    )
    path = out_dir / REPORT
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return path
