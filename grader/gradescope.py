"""Gradescope: the autograder bundle (`grader export gradescope`) and what it runs for each
submission (`grader gradescope run`, called by the bundle's run_autograder).

The bundle is the zip Gradescope's autograder takes (docs/gradescope.md):

    setup.sh         runs once, as root, when Gradescope builds the image: installs Python and
                     the grader from the copy inside the zip (packages from the package index),
                     places the data set, checks the installation, then makes the source folder
                     unreadable to every other user (the sandbox's children run as other users)
    run_autograder   runs for each submission: `grader gradescope run --root /autograder`
    gradescope.json  what to grade: profile, edition, notebooks, data, the hidden tests' visibility
    grader-src/      the project: the grader, the courses' references, notebooks and kits
    courses/<name>/  a course kept outside the project ($GRADER_COURSES), when that is the one
    data/            the data set's archive, when shipped (the default)

`run` grades /autograder/submission as `grader grade` does (same engine, sandbox and limits;
the source folder also hidden from the sandbox), then writes /autograder/results/results.json
in Gradescope's format (grader/schemas/gradescope_results.schema.json, written from Gradescope's
documented fields, validated before writing). Nothing is downloaded while grading.

Visibility: a visible test is shown as it is; a hidden test is given Gradescope's visibility
chosen at export (default "after_published": its verdict appears once the staff publish the
grades) and only its verdict (grader.disclose), never its inputs or expected values.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .errors import SetupError
from .results import ResultsError, render_table

CONFIG = "gradescope.json"
SOURCE_DIR = "grader-src"
COURSES_DIR = "courses"
DATA_DIR = "data"
ROOT_ENV = "AUTOGRADER_ROOT"  # run_autograder: where the /autograder layout is (tests relocate it)
SCHEMA = Path(__file__).resolve().parent / "schemas" / "gradescope_results.schema.json"
HIDDEN_VISIBILITIES = ("after_published", "after_due_date", "hidden", "visible")
# the project's files a grading needs (grader-src/), and what is never copied
PROJECT_FILES = ("pyproject.toml", "setup.py", "README.md")
PROJECT_DIRS = ("grader", "reference", "notebooks", "student_template")
SKIP_NAMES = {"__pycache__", "build", "dist", ".pytest_cache", ".git"}
SKIP_SUFFIXES = (".pyc", ".pyo", ".so", ".egg-info")


class BundleError(SetupError):
    """A bundle that cannot be built (the message says what to fix)."""


# ----------------------------------------------------------------------------- results


def load_schema() -> dict:
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


def validate_gradescope(results: dict) -> None:
    """Raise ResultsError unless `results` follows Gradescope's documented results.json format."""
    import jsonschema

    try:
        jsonschema.validate(results, load_schema())
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top level)"
        raise ResultsError(f"not Gradescope's results format at {where}: {exc.message}") from None


def _summary(results: dict) -> str:
    from .disclose import is_hidden

    tests = results.get("tests", [])
    lines = []
    course = results.get("course") if isinstance(results.get("course"), dict) else {}
    edition = course.get("edition")
    lines.append(f"Graded as {results.get('profile') or 'no known course'}"
                 + (f", edition {edition}" if edition else "") + f": {results.get('status')}.")
    if course.get("error"):
        lines.append(str(course["error"]))
    if results.get("status") == "graded":
        lines.append(f"Score {results['score']:g} of {results['max_score']:g}.")
    shown = [t for t in tests if not is_hidden(t)]
    hidden = [t for t in tests if is_hidden(t)]
    lines.append(f"Public tests: {sum(t['status'] == 'passed' for t in shown)} of {len(shown)} passed."
                 + (f" Hidden tests: {len(hidden)}; their verdicts appear with the grades, never their inputs "
                    "or expected values." if hidden else ""))
    acc = results.get("accuracy")
    if isinstance(acc, dict):
        lines.append(f"Accuracy of your trained model ({acc.get('split')}): {100 * acc.get('value', 0):.1f}%, "
                     f"{100 * acc.get('points_fraction', 0):.0f}% of its points ({acc.get('formula')}).")
    return "\n".join(lines)


def to_gradescope(results: dict, *, hidden_visibility: str = "after_published", metadata: dict | None = None) -> dict:
    """Our results.json (docs/results.md) as Gradescope's results.json. Statuses: passed ->
    passed; failed, error, skipped -> failed (the extra_data keeps ours). Visibility: visible ->
    visible with the full output; hidden -> `hidden_visibility` with the verdict only;
    after_published -> after_published."""
    from .disclose import is_hidden, shown_output

    if hidden_visibility not in HIDDEN_VISIBILITIES:
        raise SetupError(f"hidden tests' visibility {hidden_visibility!r} is not one of {HIDDEN_VISIBILITIES}")
    tests = []
    for t in results.get("tests", []):
        hidden = is_hidden(t)
        output = shown_output(t)
        warnings = t.get("warnings") if isinstance(t.get("warnings"), list) else []
        if warnings and not hidden:
            output += "\n" + "\n".join(f"warning: {w}" for w in warnings)
        extra = {"grader_status": t.get("status"), "grader_visibility": t.get("visibility")}
        if t.get("rel_error") is not None:
            extra["rel_error"] = t["rel_error"]
        tests.append({
            "name": str(t["name"]),
            "name_format": "text",
            "score": float(t.get("score", 0.0)),
            "max_score": float(t.get("max_score", 0.0)),
            "status": "passed" if t.get("status") == "passed" else "failed",
            "output": output,
            "output_format": "text",
            "tags": [str(t["name"]).split("[")[0]] + (["hidden"] if hidden else []),
            "visibility": hidden_visibility if hidden else (t.get("visibility") or "visible"),
            "extra_data": extra,
        })
    extra = {"profile": results.get("profile", ""), "status": results.get("status"),
             "max_score": results.get("max_score")}
    if isinstance(results.get("course"), dict):
        extra["edition"] = results["course"].get("edition")
    if metadata and metadata.get("created_at"):
        extra["submitted_at"] = str(metadata["created_at"])
    if isinstance(results.get("isolation"), dict):  # for the staff: how student code was confined
        from .sandbox.isolation import describe

        extra["isolation"] = describe(results["isolation"])
    return {
        "score": float(results.get("score", 0.0)),
        "execution_time": float(results.get("execution_time", 0.0)),
        "output": _summary(results),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "stdout_visibility": "hidden",  # the grader's log names hidden tests' details: staff only
        "extra_data": extra,
        "tests": tests,
    }


def failure_results(message: str, seconds: float = 0.0) -> dict:
    """Gradescope results when grading could not happen at all (the staff see why in stdout)."""
    return {"score": 0.0, "execution_time": round(seconds, 3), "output": message, "output_format": "text",
            "stdout_visibility": "hidden", "tests": []}


def write_json_atomic(obj: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".results-", suffix=".json", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, allow_nan=False)
        f.write("\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return path


# ----------------------------------------------------------------------------- running in Gradescope


def read_config(source: Path) -> dict:
    path = Path(source) / CONFIG
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SetupError(f"{path}: the bundle's configuration is missing or unreadable ({exc})") from exc
    if not isinstance(config, dict) or not isinstance(config.get("profile"), str):
        raise SetupError(f"{path}: not a bundle configuration (no profile)")
    return config


def _use_bundled_courses(source: Path) -> None:
    courses = Path(source) / COURSES_DIR
    if courses.is_dir():
        from .courses import COURSES_ENV

        current = os.environ.get(COURSES_ENV, "")
        os.environ[COURSES_ENV] = os.pathsep.join(p for p in (str(courses), current) if p)


def read_metadata(root: Path) -> dict:
    """Gradescope's submission_metadata.json (an empty dict when absent or unreadable)."""
    try:
        data = json.loads((Path(root) / "submission_metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def student_key(metadata: dict) -> str:
    """What the hidden inputs' seed is drawn from: the submitters (stable across a student's
    resubmissions, so resubmitting does not draw new hidden inputs), else the submission id."""
    users = metadata.get("users") if isinstance(metadata.get("users"), list) else []
    ids = sorted(str(u.get("email") or u.get("id") or "") for u in users if isinstance(u, dict))
    ids = [i for i in ids if i]
    if ids:
        return "gradescope:" + ",".join(ids)
    if metadata.get("id") is not None:
        return f"gradescope-submission:{metadata['id']}"
    return "submission"


def data_location(source: Path, config: dict) -> Path | None:
    data = config.get("data")
    if not data:
        return None
    path = Path(data)
    return path if path.is_absolute() else Path(source) / path


def run(root: Path, *, echo=print) -> dict:
    """Grade root/submission and write root/results/results.json (Gradescope's format); returns it.

    root is Gradescope's /autograder (source/, submission/, results/, submission_metadata.json).
    A failure of the set-up still writes a results.json that says so (score 0)."""
    from .courses import get_profile
    from .grade import grade_submission, reference_digest, seed_for
    from .sandbox import Limits

    root = Path(root).resolve()
    source, target = root / "source", root / "results" / "results.json"
    started = time.monotonic()
    try:
        config = read_config(source)
        _use_bundled_courses(source)
        prof = get_profile(config["profile"], config.get("edition"))
        metadata = read_metadata(root)
        submission = root / "submission"
        if not submission.is_dir():
            raise SetupError(f"{submission}: no submission folder")
        out = Path(tempfile.mkdtemp(prefix="grader-gradescope-"))
        data = data_location(source, config)
        if data is not None and not data.exists():
            raise SetupError(f"{data}: the bundle's data set is missing (setup.sh places it at image build)")
        seed = seed_for(student_key(metadata), reference_digest(prof))
        # the same sandbox and limits as `grader grade`, and the bundle (source/) hidden from student code too
        limits = Limits(hide_paths=(str(source),), sandbox=config.get("sandbox"),
                        allow_weak_sandbox=bool(config.get("allow_weak_sandbox")))
        results = grade_submission(submission, profile=prof, out_dir=out, notebooks=bool(config.get("notebooks")),
                                   data=data, seed=seed, limits=limits)
        echo(render_table(results))
        echo(f"grader results: {out / 'results.json'}")
        gs = to_gradescope(results, hidden_visibility=config.get("hidden_visibility", "after_published"),
                           metadata=metadata)
        validate_gradescope(gs)
    except SetupError as exc:
        echo(f"error: {exc}")
        gs = failure_results("The autograder could not grade this submission because of a problem of its own "
                             f"set-up, not of your work (the course staff can see the details in its log): {exc}",
                             time.monotonic() - started)
    except Exception:  # noqa: BLE001 - a results.json whatever happens (Gradescope's best practice)
        import traceback

        echo(traceback.format_exc())
        gs = failure_results("The autograder failed on this submission (an internal error of the grader, not of "
                             "your work; the course staff can see the details in its log).", time.monotonic() - started)
    write_json_atomic(gs, target)
    return gs


# ----------------------------------------------------------------------------- the bundle


SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (written by
# `grader export gradescope`). Packages come from the distribution and the package index here,
# at image build; nothing is downloaded while grading.
set -euo pipefail
SOURCE="$(cd "$(dirname "${{BASH_SOURCE[0]}}")" && pwd)"
VENV=/autograder/venv
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends python3 python3-venv python3-dev build-essential ca-certificates
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -e "$SOURCE/{source_dir}"
{data_step}
# the installation works and the data set is where gradescope.json says
"$VENV/bin/python" -m grader gradescope check --source "$SOURCE"
# the sandbox's children run as other users: they cannot read the bundle (reference, notebooks, data)
chmod -R go-rwx "$SOURCE"
"""

DATA_DOWNLOAD = """# the data set, downloaded once here at image build (never while grading)
mkdir -p "$SOURCE/{data_dir}"
python3 - "$SOURCE/{data_dir}/{archive}" <<'PYEOF'
import hashlib, sys, urllib.request
url, digest, target = {url!r}, {sha256!r}, sys.argv[1]
urllib.request.urlretrieve(url, target + ".part")
if digest:
    got = hashlib.sha256(open(target + ".part", "rb").read()).hexdigest()
    if got != digest:
        sys.exit(f"{{url}}: sha256 {{got}}, expected {{digest}}")
import os; os.replace(target + ".part", target)
PYEOF"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission (written by `grader export gradescope`): grade
# /autograder/submission with the grader's sandbox and limits, write /autograder/results/results.json.
# {root_env} relocates the /autograder layout (the grader's own tests); AUTOGRADER_PYTHON picks the
# interpreter that has the grader [/autograder/venv/bin/python].
set -uo pipefail
ROOT="${{{root_env}:-/autograder}}"
PY="${{AUTOGRADER_PYTHON:-/autograder/venv/bin/python}}"
cd "$ROOT"
"$PY" -m grader gradescope run --root "$ROOT"
code=$?
if [ ! -s "$ROOT/results/results.json" ]; then
  mkdir -p "$ROOT/results"
  printf '{{"score": 0, "execution_time": 0, "output": "The autograder failed before writing any results (exit code %s): a problem of the autograder, not of your work; the course staff can see its log.", "stdout_visibility": "hidden", "tests": []}}\\n' "$code" > "$ROOT/results/results.json"
fi
exit 0
"""


@dataclass
class BundleReport:
    path: Path
    files: int = 0
    bytes: int = 0
    data: str = ""
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"{self.path}: {self.files} files, {self.bytes / 1e6:.1f} MB; data: {self.data}"]
        lines += [f"  {n}" for n in self.notes]
        return "\n".join(lines)


def _skip(path: Path) -> bool:
    return path.name in SKIP_NAMES or path.name.endswith(SKIP_SUFFIXES) or (
        path.suffix == ".c" and path.with_suffix(".pyx").exists())  # Cython output, rebuilt at install


def _add_tree(zf: zipfile.ZipFile, folder: Path, arcroot: str, report: BundleReport) -> None:
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(_skip(folder.joinpath(*rel.parts[:i + 1])) for i in range(len(rel.parts))):
            continue
        if path.is_symlink() or not path.is_file():
            continue
        _add_file(zf, path, f"{arcroot}/{rel.as_posix()}", report)


def _add_file(zf: zipfile.ZipFile, path: Path, arcname: str, report: BundleReport, *, compress: bool = True) -> None:
    zf.write(path, arcname, compress_type=zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED)
    report.files += 1
    report.bytes += path.stat().st_size


def _add_text(zf: zipfile.ZipFile, arcname: str, text: str, report: BundleReport, *, executable: bool = False) -> None:
    info = zipfile.ZipInfo(arcname, date_time=time.localtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = ((stat.S_IFREG | (0o755 if executable else 0o644)) << 16)
    zf.writestr(info, text)
    report.files += 1
    report.bytes += len(text.encode())


def build_bundle(profile, out: Path, *, data: Path | None = None, data_url: str | None = None,
                 data_sha256: str | None = None, notebooks: bool = True,
                 hidden_visibility: str = "after_published", sandbox: str | None = None,
                 allow_weak_sandbox: bool = False) -> BundleReport:
    """Write the Gradescope autograder zip for `profile` (a loaded Profile, possibly an edition)
    at `out`. data: the data set's archive to ship inside the zip (default: found where the
    profile looks for it); data_url: instead, download it in setup.sh at image build. A course
    that scores notebooks with neither available is a BundleError (or pass notebooks=False)."""
    from .courses import BUILTIN
    from .paths import PROJECT_ROOT

    if hidden_visibility not in HIDDEN_VISIBILITIES:
        raise BundleError(f"--hidden-visibility must be one of {', '.join(HIDDEN_VISIBILITIES)}")
    for name in (*PROJECT_FILES, *PROJECT_DIRS):
        if not (PROJECT_ROOT / name).exists():
            raise BundleError(f"{PROJECT_ROOT / name} not found: `grader export gradescope` runs from a checkout "
                              "of the project (an editable install)")
    out = Path(out)
    report = BundleReport(out)
    config: dict = {"profile": profile.name, "edition": profile.edition.name if profile.edition else None,
                    "notebooks": bool(notebooks and profile.notebooks), "data": None,
                    "hidden_visibility": hidden_visibility, "sandbox": sandbox,
                    "allow_weak_sandbox": bool(allow_weak_sandbox), "built": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "grader_version": grader_version()}
    data_step = "# no data set: the notebooks are not executed"
    archive = None
    if config["notebooks"] and profile.dataset is not None:
        ds = profile.dataset
        if data_url:
            archive = Path(data_url.split("?")[0]).name or "data.tar.gz"
            data_step = DATA_DOWNLOAD.format(data_dir=DATA_DIR, archive=archive, url=data_url,
                                             sha256=data_sha256 or "")
            config["data"] = f"{DATA_DIR}/{archive}"
            report.data = f"downloaded at image build from {data_url}"
        else:
            found = Path(data) if data is not None else ds.default()
            if found is None or not Path(found).exists():
                raise BundleError(f"{ds.name} not found: pass --data PATH (its archive, shipped inside the zip), "
                                  f"set {ds.env}, or --data-url URL (downloaded by setup.sh at image build), or "
                                  "--no-notebooks")
            located = ds.locate(Path(found))
            src = getattr(located, "location", Path(found))
            if not Path(src).is_file():
                raise BundleError(f"{src}: give the data set's archive (a single file) to ship it in the bundle")
            archive = Path(src)
            config["data"] = f"{DATA_DIR}/{archive.name}"
            report.data = f"shipped in the bundle ({archive.stat().st_size / 1e6:.0f} MB)"
    elif config["notebooks"]:
        report.data = "none needed (the course's notebooks use no data set)"
    else:
        report.data = "none (notebooks not executed)"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        _add_text(zf, "setup.sh", SETUP_SH.format(source_dir=SOURCE_DIR, data_step=data_step), report, executable=True)
        _add_text(zf, "run_autograder", RUN_AUTOGRADER.format(root_env=ROOT_ENV), report, executable=True)
        for name in PROJECT_FILES:
            _add_file(zf, PROJECT_ROOT / name, f"{SOURCE_DIR}/{name}", report)
        for name in PROJECT_DIRS:
            _add_tree(zf, PROJECT_ROOT / name, f"{SOURCE_DIR}/{name}", report)
        folder = profile.paths.profile
        if Path(folder).resolve().parent != BUILTIN:  # a course kept outside the project
            _add_tree(zf, Path(folder), f"{COURSES_DIR}/{Path(folder).name}", report)
            report.notes.append(f"course {profile.name} from {folder} (outside the project) included")
        if archive is not None and not data_url:
            _add_file(zf, archive, f"{DATA_DIR}/{archive.name}", report, compress=False)
        _add_text(zf, CONFIG, json.dumps(config, indent=2) + "\n", report)
    os.replace(tmp, out)
    report.bytes = out.stat().st_size
    return report


def try_bundle(bundle: Path, submission: Path, *, metadata: dict | None = None, python: str | None = None,
               keep: Path | None = None) -> dict:
    """Run `bundle` on `submission` (a folder or a .zip) as Gradescope would, in a temporary root
    laid out as /autograder (source/, submission/, results/, submission_metadata.json), with the
    grader of this environment instead of the image's; returns the results.json it wrote
    (validated). keep: lay the root out there and leave it (else it is removed)."""
    import shutil
    import subprocess

    from .courses import COURSES_ENV

    bundle, submission = Path(bundle), Path(submission)
    if not zipfile.is_zipfile(bundle):
        raise SetupError(f"{bundle}: not a zip (build one with `grader export gradescope`)")
    if not submission.exists():
        raise SetupError(f"submission not found: {submission}")
    root = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="autograder-"))
    try:
        if keep and root.exists():
            shutil.rmtree(root)
        (root / "source").mkdir(parents=True)
        (root / "results").mkdir()
        with zipfile.ZipFile(bundle) as zf:
            zf.extractall(root / "source")
        for name in ("setup.sh", "run_autograder", CONFIG):
            if not (root / "source" / name).is_file():
                raise SetupError(f"{bundle}: no {name} at the root of the zip")
        shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
        if zipfile.is_zipfile(submission):  # Gradescope hands run_autograder the files, unzipped
            with zipfile.ZipFile(submission) as zf:
                zf.extractall(root / "submission")
        elif submission.is_dir():
            shutil.copytree(submission, root / "submission", symlinks=True)
        else:
            (root / "submission").mkdir()
            shutil.copy(submission, root / "submission" / submission.name)
        meta = metadata or {"id": 0, "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                            "users": [{"email": "student@example.edu", "id": 0, "name": "Local Try"}],
                            "previous_submissions": []}
        (root / "submission_metadata.json").write_text(json.dumps(meta), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != COURSES_ENV}  # the bundle brings its own courses
        env.update({ROOT_ENV: str(root), "AUTOGRADER_PYTHON": python or sys.executable})
        proc = subprocess.run(["bash", str(root / "run_autograder")], env=env, capture_output=True, text=True)
        (root / "results" / "stdout").write_text(proc.stdout + proc.stderr, encoding="utf-8")
        results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
        validate_gradescope(results)
        return results
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


def check_source(source: Path) -> str:
    """setup.sh's last step: the profile loads and the data set is where the configuration says."""
    source = Path(source)
    config = read_config(source)
    _use_bundled_courses(source)
    from .courses import get_profile

    prof = get_profile(config["profile"], config.get("edition"))
    data = data_location(source, config)
    if data is not None:
        if not data.exists():
            raise SetupError(f"{data}: the data set is missing")
        prof.dataset.locate(data)
    from .sandbox import Limits, SandboxError, probe_isolation
    from .sandbox.isolation import describe

    try:  # what this image's sandbox gives student code: a weak one fails the build unless allowed
        record = probe_isolation(Limits(hide_paths=(str(source),), sandbox=config.get("sandbox"),
                                        allow_weak_sandbox=bool(config.get("allow_weak_sandbox"))))
    except SandboxError as exc:
        raise SetupError(f"the sandbox cannot confine student code in this image ({exc}); export the bundle "
                         "with --allow-weak-sandbox to grade anyway (the bundle stays unreadable to student "
                         "code by its permissions)") from exc
    return (f"profile {prof.name}" + (f" edition {config['edition']}" if config.get("edition") else "")
            + f"; notebooks {'on' if config.get('notebooks') else 'off'}; data {data or 'none'}; "
              f"sandbox {describe(record)}: ready")


def grader_version() -> str:
    from .regrade import grader_version as version

    return version()
