"""The few `future.utils` helpers old course code uses, for Python 3."""

PY2, PY3 = False, True


def iteritems(d, **kw):
    return iter(d.items(**kw))


def itervalues(d, **kw):
    return iter(d.values(**kw))


def iterkeys(d, **kw):
    return iter(d.keys(**kw))


def with_metaclass(meta, *bases):
    return meta("NewBase", bases or (object,), {})
