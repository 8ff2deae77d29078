"""Notebook driver: executes one student notebook inside the sandboxed child and exports its model.

Standalone on purpose (like grader/check/drivers.py): the sandbox child loads this file by path
and calls DRIVERS["execute_notebook"](ctx, params, arrays). It imports the standard library,
numpy, nbformat, nbclient and jupyter_client, never `grader` (which the child cannot see).

What runs where: this driver (nbclient) and the kernel it starts are both processes of the
sandbox: same view of the filesystem (the allowlist: the interpreter, its packages, the working
copy with the staged data set, home/; never the reference, the grader, the held-out images or
anything else of the host), same namespaces or Landlock domain (no network), same resource
limits, same unprivileged uid. The kernel spec is made here, in memory: no jupyter data folder
is read. The kernel talks to the driver over unix sockets in home/ (jupyter's "ipc" transport):
the child's fresh network namespace has no usable loopback. The kernel is the interpreter the
child runs (/proc/self/exe) with the child's import path.

The driver judges nothing. It returns, for the parent to check:
- "notebook": the executed notebook's JSON bytes packed 4 per value (uint32), its length in info;
- "model.<param>" and "<state>.<i>.<key>": the arrays of the scored model (its `params`, or the
  model itself when it is a dict of arrays, class `dict`) and of the state its course names
  (e.g. running averages), which the kernel saved with numpy's .npy format (never
  pickle) and this driver re-read with allow_pickle=False;
- info: per executed cell its status (ok / error with ename and evalue / timeout / not run),
  the kernel's fate (started, died, hung), and what the export found (class, the attributes
  its course names, or why there is no model).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import traceback

import numpy as np

DRIVERS = {}

EXPORT_DIR = "grader-export"
MAX_META_BYTES = 1 << 20
MAX_EVALUE_CHARS = 500
PARAM_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")

# Runs in the kernel after the notebook: saves the scored model as plain numeric .npy members
# (allow_pickle=False: an object array cannot be written) and a small JSON description. It runs
# in a namespace of its own with clean builtins (a notebook may have rebound `open` or `type`),
# reading the notebook's variables through NAMESPACE.
_EXPORTER = r"""
import json, os, zipfile
import numpy as np


def fail(message):
    with open(os.path.join(FOLDER, "meta.json"), "w") as f:
        json.dump({"error": message}, f)


def export():
    if VARIABLE not in NAMESPACE:
        return fail(f"the notebook defines no variable {VARIABLE!r}")
    model = NAMESPACE[VARIABLE]
    cls = type(model).__name__
    if model is None:
        return fail(f"{VARIABLE} is None: the cell that trains it did not set it")
    if cls not in ALLOWED:
        return fail(f"{VARIABLE} is a {cls}, expected one of: {', '.join(ALLOWED)}")
    # a model object keeps its arrays in .params; a model that is itself a dict of arrays is its own params
    params = model if isinstance(model, dict) else getattr(model, "params", None)
    if not isinstance(params, dict) or not params:
        return fail(f"{VARIABLE}.params is not a non-empty dict")
    arrays, dtypes = {}, {}
    for key, value in params.items():
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":
            return fail(f"{VARIABLE}.params[{key!r}] is not a numeric array (dtype {arr.dtype})")
        arrays["model." + str(key)] = arr
        dtypes[str(key)] = str(arr.dtype)
    attributes = {}
    for name in ATTRIBUTES:
        value = getattr(model, name, None)
        if name == "dtype":
            try:
                value = str(np.dtype(value if value is not None else "float64"))
            except TypeError:
                value = "float64"
        if value is None or isinstance(value, (bool, int, float, str)):
            attributes[name] = value
    for attr in STATE:
        items = getattr(model, attr, None) or []
        for i, entry in enumerate(items if isinstance(items, (list, tuple)) else []):
            if not isinstance(entry, dict):
                continue
            for key, value in entry.items():
                if isinstance(key, str) and key.isidentifier() and value is not None:
                    arr = np.asarray(value)
                    if arr.dtype.kind in "biuf" and arr.size > 0:
                        arrays[f"{attr}.{i}.{key}"] = arr
    meta = {"class": cls, "attributes": attributes, "param_dtypes": dtypes}
    with zipfile.ZipFile(os.path.join(FOLDER, "model.npz"), "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        for key, arr in arrays.items():
            with zf.open(key + ".npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, np.ascontiguousarray(arr), allow_pickle=False)
    with open(os.path.join(FOLDER, "meta.json"), "w") as f:
        json.dump(meta, f)


export()
"""

_EXPORT_CELL = """import builtins as __grader_builtins
try:
    __grader_builtins.exec({source!r}, {{"__builtins__": __grader_builtins, "NAMESPACE": __grader_builtins.globals(),
                                        "FOLDER": {folder!r}, "VARIABLE": {variable!r}, "ALLOWED": {allowed!r},
                                        "ATTRIBUTES": {attributes!r}, "STATE": {state!r}}})
finally:
    del __grader_builtins
"""


def _driver(fn):
    DRIVERS[fn.__name__] = fn
    return fn


def _short(text, limit=MAX_EVALUE_CHARS):
    text = str(text)
    return text if len(text) <= limit else text[: limit - 15] + " ...[truncated]"


def _kernel_command():
    """The interpreter of this child. /proc/self/exe, when it exists, names it even where its
    install folder is hidden from the sandbox's uid (exec resolves it per process)."""
    exe = "/proc/self/exe" if os.path.exists("/proc/self/exe") else sys.executable
    return [exe, "-s", "-m", "ipykernel_launcher", "-f", "{connection_file}",
            "--HistoryManager.enabled=False"]


def _kernel_env(params, home, workdir, data_dir):
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "HOME", "TMPDIR")}
    env.update({
        # the student's package first (also importable from the notebook's folder), then the
        # child's own import path: numpy, ipykernel, matplotlib, ...; last, the course's stand-ins
        # for dead packages (an installed package wins over its stand-in)
        "PYTHONPATH": os.pathsep.join([workdir] + [p for p in sys.path if p and p != workdir]
                                      + [os.path.join(workdir, p) for p in params.get("kernel_path") or ()]),
        "HOME": home,
        "TMPDIR": home,
        "MPLCONFIGDIR": os.path.join(home, ".matplotlib"),
        "JUPYTER_RUNTIME_DIR": os.path.join(home, ".jupyter-runtime"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "PYTHONUNBUFFERED": "1",
    })
    threads = str(params.get("threads") or 1)
    env.update({"OMP_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads, "MKL_NUM_THREADS": threads})
    if data_dir and params.get("data_env"):
        env[str(params["data_env"])] = data_dir
    env.update({str(k): str(v) for k, v in (params.get("env") or {}).items()})
    return env


def _link_into(run_dir, rel, target):
    """Make run_dir/rel a link to target, for notebooks that hard-code where their files are
    (the official kits' cs231n/datasets/cifar-10-batches-py, cs231n/notebook_images/). A linked
    folder on the way (a course package) becomes a real folder of links to its entries, so
    nothing is written into the read-only working copy."""
    parts = [p for p in rel.split("/") if p]
    if not parts or any(p in (".", "..") for p in parts) or os.path.isabs(rel):
        return
    here = run_dir
    for part in parts[:-1]:
        step = os.path.join(here, part)
        if os.path.islink(step) and os.path.isdir(step):
            real = os.path.realpath(step)
            os.unlink(step)
            os.mkdir(step)
            for name in os.listdir(real):
                os.symlink(os.path.join(real, name), os.path.join(step, name))
        elif not os.path.lexists(step):
            os.mkdir(step)
        elif not os.path.isdir(step):
            return
        here = step
    last = os.path.join(here, parts[-1])
    if not os.path.lexists(last):
        os.symlink(target, last)


def _error_output(ename, evalue):
    from nbformat.v4 import new_output

    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


async def _shell_reply(kc, msg_id, timeout):
    """The shell reply to msg_id, or None when none came within timeout seconds."""
    from queue import Empty

    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        try:
            msg = await kc.shell_channel.get_msg(timeout=left)
        except (Empty, asyncio.TimeoutError):
            return None
        if msg.get("parent_header", {}).get("msg_id") == msg_id:
            return msg


async def _settle_output_poll(timeout=2.0):
    """After an interrupted cell, nbclient's reader of that cell's output messages lives on until
    it sees the cell's final status; let it finish (or stop it) so that it cannot take the next
    cell's messages."""
    me = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not me and not t.done()
             and getattr(t.get_coro(), "__qualname__", "").endswith("_async_poll_output_msg")]
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        for t in pending:
            t.cancel()


async def _responsive(kc, timeout):
    """True when the kernel answers a kernel_info request (its shell is idle again)."""
    return await _shell_reply(kc, kc.kernel_info(), timeout) is not None


def _read_export(folder, limit):
    """(arrays, meta) the kernel saved; ({}, {"error": ...}) when there is nothing usable."""
    meta_path = os.path.join(folder, "meta.json")
    if not os.path.isfile(meta_path):
        return {}, {"error": "the kernel wrote no model description"}
    if os.path.getsize(meta_path) > MAX_META_BYTES:
        return {}, {"error": "the model description is too large"}
    with open(meta_path, encoding="utf-8") as f:
        meta = json.load(f)
    if not isinstance(meta, dict):
        return {}, {"error": "the model description is not a JSON object"}
    if meta.get("error"):
        return {}, {"error": _short(meta["error"])}
    npz = os.path.join(folder, "model.npz")
    if not os.path.isfile(npz) or os.path.getsize(npz) > limit:
        return {}, {"error": "the model's arrays are missing or larger than the output limit"}
    arrays = {}
    with np.load(npz, allow_pickle=False) as z:
        for key in z.files:
            parts = key.split(".")
            if len(parts) < 2 or len(key) > 80 or not all(p and set(p) <= PARAM_NAME_CHARS for p in parts):
                return {}, {"error": f"model parameter name {key[:80]!r} is not a plain identifier"}
            arr = z[key]
            if arr.dtype.kind not in "biuf":
                return {}, {"error": f"{key} is not numeric"}
            arrays[key] = arr
    attributes = meta.get("attributes") if isinstance(meta.get("attributes"), dict) else {}
    keep = {"class": meta.get("class"), "param_dtypes": meta.get("param_dtypes"),
            "attributes": {str(k)[:40]: v for k, v in list(attributes.items())[:32]
                           if v is None or isinstance(v, (bool, int, float)) or (isinstance(v, str) and len(v) <= 40)}}
    return arrays, keep


def _pack(data: bytes) -> np.ndarray:
    """Bytes as uint32 values (4 bytes each, zero-padded): the parent sees float64 arrays only."""
    pad = (-len(data)) % 4
    return np.frombuffer(data + b"\0" * pad, dtype=np.uint32).copy()


def _capped(base):
    """The NotebookClient class with a cap on the outputs kept per cell and per notebook: a cell
    printing without end must not fill the driver's memory or the executed notebook."""

    class Capped(base):
        max_cell_bytes = 2 << 20
        max_total_bytes = 32 << 20

        def output(self, outs, msg, display_id, cell_index):
            sizes = self.__dict__.setdefault("_grader_sizes", {})
            used = sizes.get(cell_index, 0)
            room = min(self.max_cell_bytes - used, self.max_total_bytes - sum(sizes.values()))
            content = msg.get("content", {})
            size = len(json.dumps(content, default=str))
            if size <= room:
                sizes[cell_index] = used + size
                return super().output(outs, msg, display_id, cell_index)
            dropped = self.__dict__.setdefault("_grader_dropped", set())
            if cell_index in dropped:
                return None
            dropped.add(cell_index)
            if msg.get("msg_type") == "stream" and room > 0 and isinstance(content.get("text"), str):
                # keep the head of a long print
                cut = dict(msg, content=dict(content, text=content["text"][:room]))
                super().output(outs, cut, display_id, cell_index)
            sizes[cell_index] = used + max(room, 0)
            limit = self.max_cell_bytes if used + size > self.max_cell_bytes else self.max_total_bytes
            from nbformat.v4 import new_output

            note = f"\n[grader: further output dropped: over {limit} bytes]\n"
            outs.append(new_output("stream", name="stderr", text=note))
            return None

    return Capped


async def _execute(nb, params, home, workdir, record):
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    started = time.monotonic()
    budget = float(params["notebook_timeout"])
    cell_timeout = float(params["cell_timeout"])
    grace = float(params.get("interrupt_grace", 10.0))
    run_dir = os.path.join(home, "run")
    os.makedirs(run_dir, exist_ok=True)
    for package in params.get("packages") or ():
        if not os.path.exists(os.path.join(run_dir, package)):
            # the notebook finds the course's packages beside it, as in the kit
            os.symlink(os.path.join(workdir, package), os.path.join(run_dir, package))
    data_dir = os.path.join(workdir, params["data"]) if params.get("data") else None
    for link in params.get("data_links") or ():
        if data_dir:
            _link_into(run_dir, str(link), data_dir)
    for rel in params.get("assets") or ():  # the images beside the submitted notebook
        _link_into(run_dir, str(rel), os.path.join(workdir, str(params["asset_folder"]), str(rel)))
    env = _kernel_env(params, home, workdir, data_dir)
    for key in ("JUPYTER_RUNTIME_DIR", "MPLCONFIGDIR"):
        os.makedirs(env[key], exist_ok=True)
    os.environ["JUPYTER_RUNTIME_DIR"] = env["JUPYTER_RUNTIME_DIR"]
    os.environ["JUPYTER_PLATFORM_DIRS"] = "1"

    spec = KernelSpec(argv=_kernel_command(), display_name="Python 3 (grader)", language="python",
                      interrupt_mode="signal")

    class _Specs(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            return spec

    km = AsyncKernelManager(kernel_name="grader-python", kernel_spec_manager=_Specs(),
                            transport="ipc", ip=os.path.join(home, "kernel"))
    cells = record["cells"]
    current = {"timeout": cell_timeout}
    replies = {}

    def on_executed(cell, cell_index, execute_reply):
        replies[cell_index] = (execute_reply or {}).get("content", {})

    client = _capped(NotebookClient)(
        nb, km=km, timeout_func=lambda cell: current["timeout"], allow_errors=True,
        startup_timeout=int(max(1, params["startup_timeout"])), iopub_timeout=5,
        record_timing=True, shutdown_kernel="immediate", on_cell_executed=on_executed,
        resources={"metadata": {"path": run_dir}},
    )
    client.max_cell_bytes = int(params.get("max_cell_output_bytes", 2 << 20))
    client.max_total_bytes = int(params.get("max_output_total_bytes", 32 << 20))
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip()]
    record["code_cells"] = len(code_cells)

    def not_run(after, why):
        for j in code_cells:
            if j > after and str(j) not in cells:
                cells[str(j)] = {"status": "not run", "reason": why}

    record["kernel"] = "starting"
    try:
        # cleanup_kc: shut the kernel down when the notebook is done (nbclient keeps a kernel it
        # did not create alive otherwise: each notebook's kernel, its data and any loop it is stuck
        # in, would live on beside the next notebook's until the child ends)
        async with client.async_setup_kernel(env=env, cleanup_kc=True):
            record["kernel"] = "running"
            record["startup_seconds"] = round(time.monotonic() - started, 3)
            if "numpy1" in (params.get("compat") or ()):
                await _numpy1(client.kc, workdir, record)
            count = 0
            for index in code_cells:
                cell = nb.cells[index]
                left = budget - (time.monotonic() - started)
                if left <= 1:
                    record["budget_exhausted"] = True
                    not_run(index - 1, f"the notebook's time budget ({budget:g} s) was used up")
                    break
                current["timeout"] = max(1, int(min(cell_timeout, left)))
                count += 1
                t0 = time.monotonic()
                try:
                    await client.async_execute_cell(cell, index, execution_count=count)
                except CellTimeoutError:
                    limit = current["timeout"]
                    why = ("the cell time limit" if limit >= cell_timeout
                           else "the rest of the notebook's time budget")
                    cells[str(index)] = {"status": "timeout", "seconds": round(time.monotonic() - t0, 3),
                                         "evalue": f"no result after {limit} s ({why})"}
                    stopped = f"the grader stopped this cell after {limit} s"
                    cell.outputs.append(_error_output("CellTimeoutError", stopped))
                    await km.interrupt_kernel()
                    if not await _responsive(client.kc, grace):
                        record["kernel"] = "hung"
                        record["kernel_message"] = (f"the kernel did not respond within {grace:g} s of an interrupt "
                                                    f"after cell {index} timed out")
                        not_run(index, "the kernel hung")
                        break
                    await _settle_output_poll()
                    if limit < cell_timeout:
                        record["budget_exhausted"] = True
                        not_run(index, f"the notebook's time budget ({budget:g} s) was used up")
                        break
                    continue
                except DeadKernelError:
                    cells[str(index)] = {"status": "dead kernel", "seconds": round(time.monotonic() - t0, 3),
                                         "evalue": "the kernel died while running this cell"}
                    cell.outputs.append(_error_output("DeadKernelError", "the kernel died while running this cell"))
                    record["kernel"] = "died"
                    record["kernel_message"] = f"the kernel died while running cell {index}"
                    not_run(index, "the kernel had died")
                    break
                content = replies.pop(index, {})
                entry = {"status": "ok", "seconds": round(time.monotonic() - t0, 3)}
                if content.get("status") == "error":
                    entry.update(status="error", ename=_short(content.get("ename", "")),
                                 evalue=_short(content.get("evalue", "")))
                elif content.get("status") == "aborted":
                    entry.update(status="error", ename="Aborted", evalue="the kernel aborted this cell")
                cells[str(index)] = entry
            record["execution_seconds"] = round(time.monotonic() - started, 3)
            if record["kernel"] == "running" and params.get("variable"):
                await _export(client.kc, params, home, record)
    except (CellTimeoutError, DeadKernelError) as exc:  # pragma: no cover - raised outside a cell
        record["kernel"] = "died"
        record["kernel_message"] = _short(f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # noqa: BLE001 - a kernel that cannot start or a client failure
        if record["kernel"] == "starting":
            record["kernel"] = "failed to start"
            record["kernel_message"] = _short(f"{type(exc).__name__}: {exc}", 2000)
            not_run(-1, "the kernel did not start")
        else:
            record.setdefault("kernel_message", _short(f"{type(exc).__name__}: {exc}", 2000))
            record["client_error"] = _short(traceback.format_exc(), 4000)
            not_run(-1, "notebook execution stopped")
    record["seconds"] = round(time.monotonic() - started, 3)


async def _numpy1(kc, workdir, record):
    """Before the first cell: numpy as the course's students had it (grader/check/numpy1.py, on the
    kernel's path as numpy1_compat), as the code checks give it to their functions."""
    code = f"import numpy1_compat as _c\n_c.numpy1_install_kernel(get_ipython(), {workdir!r})\ndel _c"
    msg_id = kc.execute(code, silent=True, store_history=False, allow_stdin=False, stop_on_error=False)
    reply = await _shell_reply(kc, msg_id, 60.0)
    ok = reply is not None and reply["content"].get("status") == "ok"
    record["compat"] = ["numpy1"] if ok else []
    if not ok:
        record["compat_error"] = "the numpy1 compatibility shim could not be installed in the kernel"


async def _export(kc, params, home, record):
    folder = os.path.join(home, EXPORT_DIR)
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        os.unlink(os.path.join(folder, name))
    export = params.get("export") or {}
    code = _EXPORT_CELL.format(source=_EXPORTER, folder=folder, variable=str(params["variable"]),
                               allowed=tuple(str(c) for c in params["classes"]),
                               attributes=tuple(str(a) for a in export.get("attributes", ())),
                               state=tuple(str(a) for a in export.get("state", ())))
    msg_id = kc.execute(code, silent=True, store_history=False, allow_stdin=False, stop_on_error=False)
    reply = await _shell_reply(kc, msg_id, float(params.get("export_timeout", 120)))
    if reply is None:
        record["export"] = {"error": "reading the model from the kernel timed out"}
    elif reply["content"].get("status") != "ok":
        c = reply["content"]
        record["export"] = {"error": _short(f"reading the model failed: {c.get('ename')}: {c.get('evalue')}")}
    else:
        record["export"] = {"folder": folder}


@_driver
def execute_notebook(ctx, params, arrays):
    """Execute the notebook at workdir/params["notebook"]; return it and the scored model.

    params: notebook (path in the workdir), packages (the course's package folders, linked
    beside the notebook), data (the data set's folder in the workdir, or None) and data_env (the
    environment variable naming it), env (extra kernel environment), startup_timeout,
    cell_timeout, notebook_timeout, interrupt_grace, export_timeout, variable (None: no model
    wanted), classes (allowed class names), export (attributes and state to export besides the
    params), max_output_bytes."""
    import nbformat

    home = os.environ.get("HOME") or os.getcwd()
    path = os.path.join(ctx.workdir, params["notebook"])
    nb = nbformat.read(path, as_version=4)
    record = {"cells": {}, "kernel": "not started"}
    asyncio.run(_execute(nb, params, home, ctx.workdir, record))

    out = {}
    export = record.pop("export", None)
    if export is None:
        record["model"] = {"error": "the notebook did not run to its end: no model was read"}
    elif "folder" in export:
        try:
            model_arrays, meta = _read_export(export["folder"], int(params.get("max_output_bytes", 1 << 28)))
        except Exception as exc:  # noqa: BLE001 - whatever the kernel wrote
            why = f"the saved model could not be read: {type(exc).__name__}: {exc}"
            model_arrays, meta = {}, {"error": _short(why)}
        record["model"] = meta
        out.update(model_arrays)
    else:
        record["model"] = export
    try:
        text = nbformat.writes(nb)
    except Exception:  # noqa: BLE001 - outputs nbformat rejects: still keep what ran
        text = json.dumps(nb, default=str)
    data = text.encode("utf-8")
    record["notebook_bytes"] = len(data)
    out["notebook"] = _pack(data)
    out["info"] = record
    return out
