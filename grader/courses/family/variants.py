"""Implementations that several courses' catalogues share (grader.examples text edits)."""

from ...examples import Edit
from ..profile import Variant

# max-pool backward routing each window's gradient to every element equal to its maximum: the
# course's `dx = canonical.max_pool_backward_naive(dout, cache)` line replaced by this
POOL_BACKWARD_ALL_MAXIMA = """    x, pool_param = cache
    ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            window = x[:, :, i * s:i * s + ph, j * s:j * s + pw]
            top = window == window.max(axis=(2, 3), keepdims=True)
            dx[:, :, i * s:i * s + ph, j * s:j * s + pw] += top * dout[:, :, i, j][:, :, None, None]
"""


def delegated_layer_bugs(layers: str) -> tuple[Variant, ...]:
    """Classic bugs of a course whose layers file (`layers`, course-root path) delegates relu and
    affine backward to the default course (`canonical.relu_backward(dout, x)`)."""
    return (
        Variant("relu_backward_wrong_comparison", (Edit(layers, "    dx = canonical.relu_backward(dout, x)\n",
                                                        "    dx = dout * (x < 0)\n"),),
                ("layers.relu_backward",), "wrong comparison"),
        Variant("affine_backward_no_reshape", (Edit(layers, "    dx, dw, db = canonical.affine_backward(dout, (x, w, b))\n",
                                                    "    dx = dout.dot(w.T)\n"
                                                    "    dw = x.reshape(x.shape[0], -1).T.dot(dout)\n"
                                                    "    db = np.sum(dout, axis=0)\n"),),
                ("layers.affine_backward",), "forgot to reshape dx"),
    )
