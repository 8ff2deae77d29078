"""Autograder and assignment checker for the CS231n assignment-2 family.

Pipeline (one subpackage or module per step): strip -> check -> execute -> score -> batch -> report.
"""

__version__ = "0.1.0"
