"""The grader's exceptions: one root, one exit code each, handled once by the CLI.

Exit codes: 0 success; 1 a submission or a check failed (also SubmissionError, a submission
that cannot be opened); 2 usage or set-up (a missing file, an unknown profile, no sandbox, bad
data); 3 an internal error of the grader itself (a bug: the traceback goes to stderr).
"""

from __future__ import annotations

EXIT_OK, EXIT_FAILED, EXIT_SETUP, EXIT_INTERNAL = 0, 1, 2, 3


class GraderError(Exception):
    """Root of every error the grader raises on purpose; `exit_code` is what the CLI exits with."""

    exit_code = EXIT_INTERNAL


class SetupError(GraderError):
    """How the grader was invoked, installed or configured (exit code 2); the message says what to fix."""

    exit_code = EXIT_SETUP


class FailedError(GraderError):
    """A submission or check that failed in a way only an exception can report (exit code 1)."""

    exit_code = EXIT_FAILED


class InternalError(GraderError):
    """A broken invariant of the grader itself (exit code 3)."""

    exit_code = EXIT_INTERNAL
