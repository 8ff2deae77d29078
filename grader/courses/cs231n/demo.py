"""The demo class of CS231n assignment 2: what `grader demo` grades, and what a correct grader
concludes about each submission (so the demo is also an end-to-end self-test)."""

from __future__ import annotations

from ... import examples
from ...examples import Edit
from ..profile import Example


def _mutant(name: str):
    return lambda profile, dest: examples.build(profile, dest, examples.variant(profile, name).edits)


# A hostile submission: every trick must cost it points and nothing more.
MALICIOUS_EDITS = (
    # hangs: the deadline kills it, only relu_forward's checks are lost
    Edit("cs231n/layers.py", "    out = np.maximum(x, 0)\n", "    while True:\n        pass\n"),
    # exits the interpreter "successfully" in the middle of a check
    Edit("cs231n/layers.py", "    dx = (dout @ w.T).reshape(x.shape)  # (N, d_1, ..., d_k)\n",
         "    import os\n    os._exit(0)\n"),
    # prints success, plants a fake results.json wherever it can, and returns garbage
    Edit("cs231n/optim.py", "def sgd_momentum(w, dw, config=None):\n",
         "def sgd_momentum(w, dw, config=None):\n"
         "    import pathlib\n"
         "    print('PASSED ' * 1000)\n"
         "    for d in (pathlib.Path.cwd(), *pathlib.Path.cwd().parents):\n"
         "        try:\n"
         "            (d / 'results.json').write_text('{\"score\": 100, \"max_score\": 100}')\n"
         "        except OSError:\n"
         "            pass\n"
         "    return float('nan'), config\n"),
)




CLASS = (
    Example("alice", "the reference solution", lambda p, d: examples.build(p, d), True),
    Example("bob", "loops instead of vectorised code (correct)", _mutant("loops_affine_conv_pool"), True),
    Example("carol", "a zip with the package two folders deep", lambda p, d: examples.zipped(p, d, ("hw2", "assignment2")),
            True),
    Example("dave", "the unsolved kit", lambda p, d: examples.build(p, d, strip=True), False),
    Example("erin", "dropout not inverted", _mutant("dropout_not_inverted"), False, ("layers.dropout_forward",)),
    Example("frank", "adam without incrementing t first", _mutant("adam_t_not_incremented_first"), False, ("optim.adam",)),
    Example("grace", "batchnorm running averages keep the last batch", _mutant("batchnorm_running_last_batch"), False,
            ("layers.batchnorm_forward",)),
    Example("heidi", "L2 regularisation without the 0.5 factor", _mutant("fc_reg_without_half"), False,
            ("fc_net.FullyConnectedNet",)),
    Example("mallory", "malicious: hangs, exits, prints PASSED, plants results.json, returns NaN",
            lambda p, d: examples.build(p, d, MALICIOUS_EDITS), False,
            ("layers.relu_forward", "layers.affine_backward", "optim.sgd_momentum")),
)


