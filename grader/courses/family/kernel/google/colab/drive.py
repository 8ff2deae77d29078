"""`drive.mount` without Google Drive: says so and returns (the grader runs the notebook in place)."""


def mount(mountpoint="/content/drive", force_remount=False, timeout_ms=None, readonly=False):
    print(f"[grader] Google Drive is not available while grading: drive.mount({mountpoint!r}) skipped; "
          "the notebook runs beside its own files")


def flush_and_unmount(timeout_ms=None):
    return None
