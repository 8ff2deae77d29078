"""Stand-in for Google Colab's `google.colab` while a notebook is graded: no Drive, no browser.

(`google` itself stays a namespace package, so an installed google.* package still imports.)
"""

from . import drive, files

__all__ = ["drive", "files"]
