"""Stand-in for the `past` package of `future` (Python 2 compatibility), for old course code."""
