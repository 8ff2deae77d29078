"""What `grader mutate` writes: mutants.json, mutants.html and the terminal summary.

A mutant ends in one of these states:
- killed: some check of its function (or of a function calling it) failed; `killed_by` names it;
- equivalent: the probe found the reference's results on every input it tried: excluded from the
  kill rate, and listed;
- accepted: survived, not equivalent, and the profile records why it may survive
  (Profile.accepted_mutants); it still counts against the kill rate;
- survived: survived, not equivalent, not accepted: a wrong implementation that gets full marks;
- error: the grader could not grade it (its own failure, listed).

kill rate = killed / (mutants - equivalent), per function and overall. The HTML shows reference
code (the diffs): it is for course staff, never for students.
"""

from __future__ import annotations

import fnmatch
import json
import os
import tempfile
import time
from pathlib import Path

import jinja2

from .generate import Generation, Mutant
from .operators import OPERATORS
from .run import Outcome

SCHEMA = 1
JSON_NAME, HTML_NAME = "mutants.json", "mutants.html"
STATES = ("killed", "equivalent", "accepted", "survived", "error")


def acceptance(accepted: dict, mutant_id: str) -> tuple[str, str] | None:
    """(pattern, reason) of the first entry of Profile.accepted_mutants matching `mutant_id`: an
    exact id, or a glob over ids ("fn:comparison:*")."""
    if mutant_id in accepted:
        return mutant_id, accepted[mutant_id]
    for pattern, reason in accepted.items():
        if fnmatch.fnmatchcase(mutant_id, pattern):
            return pattern, reason
    return None


def _rate(killed: int, total: int) -> float | None:
    return None if total <= 0 else killed / total


def summarise(profile, gen: Generation, mutants: list[Mutant], outcomes: list[Outcome], *, seed: int,
              probe_seeds: int, workers: int, seconds: float, only=None) -> dict:
    """mutants.json as a dict (see docs/mutate.md for its fields)."""
    accepted = dict(getattr(profile, "accepted_mutants", {}) or {})
    by_id = {o.id: o for o in outcomes}
    rows, used = [], set()
    for m in mutants:
        o = by_id[m.id]
        status, reason = o.status, None
        match = acceptance(accepted, m.id)
        if match:
            used.add(match[0])
        if status == "survived" and match:
            status, reason = "accepted", match[1]
        rows.append({
            "id": m.id, "function": m.function, "functions": list(m.functions), "operator": m.operator,
            "source": m.source, "file": next(iter(m.files), ""), "line": m.line, "description": m.description,
            "status": status, "killed_by": o.killed_by, "stage": o.stage, "failing": o.failing, "output": o.output,
            "probe": o.probe, "accepted": reason, "seconds": round(o.seconds, 3), "diff": m.diff,
        })
    functions = []
    names = [f for f in gen.functions if only is None or f in only]
    names = list(dict.fromkeys(names + [r["function"] for r in rows]))  # (catalogued bugs of given code too)
    for f in names:
        mine = [r for r in rows if r["function"] == f]
        counts = {s: sum(r["status"] == s for r in mine) for s in STATES}
        total = len(mine) - counts["equivalent"]
        functions.append({"function": f, "mutants": len(mine), **counts,
                          "kill_rate": _rate(counts["killed"], total)})
    totals = {s: sum(r["status"] == s for r in rows) for s in STATES}
    non_equivalent = len(rows) - totals["equivalent"]
    stale = []
    for pattern, reason in accepted.items():
        if only is not None and not any(fnmatch.fnmatchcase(f, pattern.split(":", 1)[0]) for f in only):
            continue  # about a function this run did not look at
        hits = [r for r in rows if acceptance({pattern: reason}, r["id"])]
        if not hits:
            stale.append({"pattern": pattern, "reason": reason, "problem": "matches no mutant"})
        elif not any(r["status"] == "accepted" for r in hits):
            stale.append({"pattern": pattern, "reason": reason,
                          "problem": "every mutant it matches is killed or equivalent: the entry can go"})
    return {
        "schema": SCHEMA,
        "profile": profile.name,
        "edition": profile.edition.name if profile.edition else None,
        "generated": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "seed": seed,
        "probe_seeds": probe_seeds,
        "workers": workers,
        "seconds": round(seconds, 1),
        "only": sorted(only) if only is not None else None,
        "operators": {**OPERATORS, "catalogue": "the profile's catalogue of classic bugs (Profile.mutants)"},
        "dropped": {k: int(gen.dropped.get(k, 0)) for k in ("invalid", "noop", "duplicate")},
        "skipped": list(gen.skipped),
        "totals": {"mutants": len(rows), **totals, "kill_rate": _rate(totals["killed"], non_equivalent)},
        "functions": functions,
        "stale_acceptances": stale,
        "mutants": rows,
    }


def write_json(summary: dict, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / JSON_NAME
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".mutants-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=1)
    os.replace(tmp, path)
    return path


def _pct(rate) -> str:
    return "n/a" if rate is None else f"{100 * rate:.1f}%"


def terminal_summary(summary: dict, min_rate: float) -> str:
    """The per-function table and the survivors, as plain text."""
    head = ("function", "mutants", "equiv", "killed", "accepted", "survived", "error", "kill rate")
    rows = [head] + [(f["function"], f["mutants"], f["equivalent"], f["killed"], f["accepted"], f["survived"],
                      f["error"], _pct(f["kill_rate"])) for f in summary["functions"]]
    t = summary["totals"]
    rows.append(("total", t["mutants"], t["equivalent"], t["killed"], t["accepted"], t["survived"], t["error"],
                 _pct(t["kill_rate"])))
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(head))]
    lines = []
    for k, r in enumerate(rows):
        cells = [str(c).ljust(widths[0]) if i == 0 else str(c).rjust(widths[i]) for i, c in enumerate(r)]
        line = "  ".join(cells)
        f = summary["functions"][k - 1] if 0 < k <= len(summary["functions"]) else None
        if f is not None and f["kill_rate"] is not None and f["kill_rate"] < min_rate:
            line += "  < " + _pct(min_rate)
        lines.append(line)
        if k == 0 or k == len(rows) - 2:
            lines.append("-" * len("  ".join(c.ljust(w) for c, w in zip(map(str, head), widths))))
    survivors = [m for m in summary["mutants"] if m["status"] in ("survived", "error")]
    if survivors:
        lines.append("")
        lines.append(f"{len(survivors)} mutant(s) neither killed, equivalent nor accepted:")
        for m in survivors:
            lines.append(f"  {m['id']} ({m['file']}:{m['line']}): {m['description']}")
            if m["probe"] or m["output"]:
                lines.append(f"      {m['probe'] or m['output']}")
    for s in summary["stale_acceptances"]:
        lines.append(f"accepted_mutants entry {s['pattern']!r}: {s['problem']}")
    d = summary["dropped"]
    lines.append("")
    lines.append(f"dropped while generating: {d['invalid']} invalid, {d['noop']} no-op, {d['duplicate']} duplicate; "
                 f"seed {summary['seed']}, {summary['probe_seeds']} probe seeds, {summary['workers']} worker(s), "
                 f"{summary['seconds']:.0f} s")
    return "\n".join(lines)


TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Mutants: {{ s.profile }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.low td { background: #fff1f0; }
pre.diff { background: #f8f8f8; padding: 0.5em; overflow-x: auto; font-size: 0.85em; }
.killed { color: #1a7f37; } .survived, .error { color: #cf222e; font-weight: bold; }
.equivalent { color: #666; } .accepted { color: #9a6700; }
code { font-size: 0.95em; }
</style></head><body>
<h1>Mutants of <code>{{ s.profile }}</code>{% if s.edition %} ({{ s.edition }}){% endif %}</h1>
<p>{{ s.totals.mutants }} mutants: <span class="killed">{{ s.totals.killed }} killed</span>,
<span class="equivalent">{{ s.totals.equivalent }} equivalent</span>,
<span class="accepted">{{ s.totals.accepted }} accepted</span>,
<span class="survived">{{ s.totals.survived }} survived</span>{% if s.totals.error %},
<span class="error">{{ s.totals.error }} not graded (grader error)</span>{% endif %}.
Kill rate {{ pct(s.totals.kill_rate) }} (killed / non-equivalent). Seed {{ s.seed }}, {{ s.probe_seeds }} probe seeds,
{{ s.workers }} worker(s), {{ "%.0f"|format(s.seconds) }} s; generated {{ s.generated }}.
Dropped while generating: {{ s.dropped.invalid }} invalid, {{ s.dropped.noop }} no-op,
{{ s.dropped.duplicate }} duplicate.</p>

<h2>By function</h2>
<table><tr><th>function</th><th>mutants</th><th>equivalent</th><th>killed</th><th>accepted</th><th>survived</th>
<th>error</th><th>kill rate</th></tr>
{% for f in s.functions %}<tr{% if f.kill_rate is not none and f.kill_rate < min_rate %} class="low"{% endif %}>
<td><a href="#{{ f.function }}"><code>{{ f.function }}</code></a></td><td class="num">{{ f.mutants }}</td>
<td class="num">{{ f.equivalent }}</td><td class="num">{{ f.killed }}</td><td class="num">{{ f.accepted }}</td>
<td class="num">{{ f.survived }}</td><td class="num">{{ f.error }}</td><td class="num">{{ pct(f.kill_rate) }}</td></tr>
{% endfor %}</table>

{% if survivors %}<h2>Survivors</h2>
<p>Wrong implementations that get full marks: kill each with a new check, or record in the profile's
<code>accepted_mutants</code> why it may survive.</p>
{% for m in survivors %}<h3 id="{{ m.id }}"><code>{{ m.id }}</code>
<span class="{{ m.status }}">{{ m.status }}</span></h3>
<p>{{ m.description }} ({{ m.file }}:{{ m.line }}). {% if m.probe %}Probe: {{ m.probe }}.{% endif %}
{% if m.output %} {{ m.output }}{% endif %}</p>
<pre class="diff">{{ m.diff }}</pre>
{% endfor %}{% endif %}

{% if accepted %}<h2>Accepted survivors</h2>
{% for m in accepted %}<h3 id="{{ m.id }}"><code>{{ m.id }}</code> <span class="accepted">accepted</span></h3>
<p>{{ m.description }}. Reason: {{ m.accepted }}. {% if m.probe %}Probe: {{ m.probe }}.{% endif %}</p>
<pre class="diff">{{ m.diff }}</pre>
{% endfor %}{% endif %}

{% if s.stale_acceptances %}<h2>Stale acceptances</h2><ul>
{% for a in s.stale_acceptances %}<li><code>{{ a.pattern }}</code>: {{ a.problem }} ({{ a.reason }})</li>{% endfor %}
</ul>{% endif %}

<h2>Every mutant, by function</h2>
{% for f in s.functions %}<details id="{{ f.function }}"><summary><code>{{ f.function }}</code>: {{ f.killed }} of
{{ f.mutants - f.equivalent }} killed{% if f.equivalent %}, {{ f.equivalent }} equivalent{% endif %}</summary>
<table><tr><th>mutant</th><th>change</th><th>status</th><th>killed by</th><th>output</th></tr>
{% for m in by_function.get(f.function, []) %}<tr><td><code>{{ m.id }}</code></td><td>{{ m.description }}</td>
<td class="{{ m.status }}">{{ m.status }}{% if m.stage == "dependants" %} (by a dependant){% endif %}</td>
<td>{% if m.killed_by %}<code>{{ m.killed_by }}</code>{% endif %}</td>
<td>{{ m.output or m.probe or "" }}
{% if m.status == "equivalent" %}<pre class="diff">{{ m.diff }}</pre>{% endif %}</td></tr>
{% endfor %}</table></details>
{% endfor %}

<h2>Operators</h2>
<table>{% for name, text in s.operators.items() %}
<tr><td><code>{{ name }}</code></td><td>{{ text }}</td></tr>{% endfor %}</table>
</body></html>
"""


def write_html(summary: dict, out_dir: Path, min_rate: float) -> Path:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    by_function: dict[str, list] = {}
    for m in summary["mutants"]:
        by_function.setdefault(m["function"], []).append(m)
    html = env.from_string(TEMPLATE).render(
        s=summary, pct=_pct, min_rate=min_rate, by_function=by_function,
        survivors=[m for m in summary["mutants"] if m["status"] in ("survived", "error")],
        accepted=[m for m in summary["mutants"] if m["status"] == "accepted"])
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / HTML_NAME
    path.write_text(html, encoding="utf-8")
    return path


__all__ = ["HTML_NAME", "JSON_NAME", "SCHEMA", "STATES", "acceptance", "summarise", "terminal_summary", "write_html",
           "write_json"]
