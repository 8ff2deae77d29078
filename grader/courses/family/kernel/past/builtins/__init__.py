"""Python 2 builtins under their Python 3 names, as `past.builtins` provided them."""

import functools
import sys

xrange = range
basestring = str
unicode = str
long = int
raw_input = input
unichr = chr
reduce = functools.reduce
intern = sys.intern


def cmp(a, b):
    return (a > b) - (a < b)


__all__ = ["xrange", "basestring", "unicode", "long", "raw_input", "unichr", "reduce", "intern", "cmp"]
