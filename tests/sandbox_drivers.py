"""Drivers for the sandbox tests (the real ones are grader/check/drivers.py).

Loaded by path inside the sandbox child: numpy and the stdlib only, never grader.
"""

DRIVERS = {}


def driver(fn):
    DRIVERS[fn.__name__] = fn
    return fn


@driver
def call(ctx, params, arrays):
    """out = cs231n.<module>.<fn>(*arrays in params["args"] order, **params.get("kwargs", {}))."""
    fn = getattr(ctx.module("cs231n." + params["module"]), params["fn"])
    args = [arrays[name] for name in params.get("args", [])]
    return {"out": fn(*args, **params.get("kwargs", {}))}


@driver
def call_pair(ctx, params, arrays):
    """A forward/backward-like call returning two outputs plus some info."""
    fn = getattr(ctx.module("cs231n." + params["module"]), params["fn"])
    first, second = fn(*[arrays[name] for name in params.get("args", [])])
    return {"first": first, "second": second, "info": {"note": params.get("note", "")}}
