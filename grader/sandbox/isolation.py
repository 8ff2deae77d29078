"""The isolation record: what the sandbox achieved for a run, as results.json and the class
report show it.

    {"mode": "namespaces" | "landlock" | "none", "requested": "auto" | ...,
     "full": bool, "missing": [what is less than the full set, in words],
     "namespaces": ["ipc", "mount", "net", "pid", "user"], "filesystem": "allowlist" | "landlock" | "host",
     "pids": "private" | "host", "network": "isolated" | "no TCP (Landlock)" | "host",
     "uid": int, "privileges": str, "limits": {"as": ..., "cpu": ..., ...}, "landlock_abi": int | null,
     "view": {"read_only": [...], "writable": [...]} | null, "sys_path": [the child's import path],
     "fallbacks": {mode: why it failed}, "errors": [...]}
(paths inside the job folder, which is gone after the run, are shown as <job>/...)

The full set: the allowlist root file system (mount namespace + pivot_root), a pid namespace,
no network, not uid 0, and every resource limit (address space, CPU, file size, open files,
core, processes).
"""

from __future__ import annotations

REQUIRED_LIMITS = ("as", "cpu", "fsize", "nofile", "core", "nproc")
JOB = "<job>"


def missing(s: dict) -> list[str]:
    """What a summary lacks of the full set, in words."""
    out = []
    if s.get("filesystem") == "landlock":
        out.append("filesystem: Landlock allowlist instead of a private root (no private /tmp)")
    elif s.get("filesystem") != "allowlist":
        out.append("filesystem: the host's, not confined to an allowlist")
    if s.get("pids") != "private":
        out.append("no pid namespace (host processes visible, setsid daemons may outlive the run)")
    if s.get("network") == "no TCP (Landlock)":
        out.append("network: TCP refused by Landlock, other protocols not (no network namespace)")
    elif s.get("network") != "isolated":
        out.append("network: the host's (no network namespace)")
    if s.get("uid") == 0:
        out.append("runs as uid 0 (without capabilities)" if s.get("capabilities") == "none" else "runs as root")
    lacking = [k for k in REQUIRED_LIMITS if k not in (s.get("limits") or {})]
    if lacking:
        out.append("limits not enforced: " + ", ".join(lacking))
    return out


def summarize(record: dict, *, requested: str, privileges: str, view: dict | None, jobdir: str,
              fallbacks: dict[str, str]) -> dict:
    """The isolation record of one sandbox child from what it reported (`record`) and what the
    parent decided."""

    def shown(path: str) -> str:
        return JOB + path[len(jobdir):] if path == jobdir or path.startswith(jobdir.rstrip("/") + "/") else path

    s = {
        "mode": record.get("mode"),
        "requested": requested,
        "full": False,
        "missing": [],
        "namespaces": list(record.get("namespaces", [])),
        "filesystem": record.get("filesystem", "host"),
        "pids": record.get("pids", "host"),
        "network": record.get("network", "host"),
        "uid": record.get("uid"),
        "privileges": privileges,
        "limits": dict(record.get("limits", {})),
        "landlock_abi": record.get("landlock_abi"),
        "view": None,
        "fallbacks": dict(fallbacks),
        "errors": list(record.get("errors", [])),
    }
    if record.get("capabilities"):
        s["capabilities"] = record["capabilities"]
    if record.get("scoped"):
        s["scoped"] = list(record["scoped"])
    if view is not None and s["filesystem"] in ("allowlist", "landlock"):
        s["view"] = {"read_only": [shown(p) for p in view["read_only"]] + list(view["devices"]),
                     "writable": [shown(p) for p in view["writable"]]
                     + (list(view["private_tmp"]) if s["filesystem"] == "allowlist" else [])}
        if view.get("left_out"):
            s["view"]["left_out"] = list(view["left_out"])
    s["sys_path"] = [shown(p) for p in record.get("sys_path", [])]
    s["missing"] = missing(s)
    s["full"] = not s["missing"]
    return s


def combine(parts: dict[str, dict | None]) -> dict | None:
    """One record for a submission graded in several sandbox runs (code checks, notebooks): the
    weakest of them, with each step's mode when they differ."""
    present = {k: v for k, v in parts.items() if isinstance(v, dict) and v.get("mode")}
    if not present:
        return None
    worst = dict(max(present.values(), key=lambda s: (not s.get("full"), len(s.get("missing", [])))))
    if len({(v.get("mode"), v.get("full")) for v in present.values()}) > 1:
        worst["steps"] = {k: {"mode": v.get("mode"), "full": v.get("full")} for k, v in present.items()}
    return worst


def describe(s: dict | None) -> str:
    """One line for people: 'namespaces (full)' or 'landlock: no pid namespace; ...'."""
    if not s:
        return "unknown (no sandbox run)"
    if s.get("full"):
        return f"{s.get('mode')} (full isolation)"
    return f"{s.get('mode')}: " + "; ".join(s.get("missing", []))
