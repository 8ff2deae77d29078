"""Stand-in for the `future` package (Python 2/3 compatibility): on Python 3 nothing is needed."""
