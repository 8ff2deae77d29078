"""Where the project's own folders are (a course's content folders: grader.courses)."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
