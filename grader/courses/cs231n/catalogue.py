"""The catalogue of CS231n assignment 2: classic bugs seen in real submissions (mutants) and
alternative correct implementations, each a set of text substitutions on the reference.

Every substitution asserts that its text occurs in the reference exactly as often as expected,
so a change in the reference cannot silently turn a mutant into an unmodified copy. Paths are
relative to the course root.
"""

from __future__ import annotations

from ...examples import Edit
from ..profile import Variant

L, U, FC, CNN, OPT = ("cs231n/layers.py", "cs231n/layer_utils.py", "cs231n/classifiers/fc_net.py", "cs231n/classifiers/cnn.py",
                      "cs231n/optim.py")

# The conv backward's window loop (unique: it is the only loop reading dout[:, :, i, j] as d).
_CONV_BWD_LOOP = """            hs, ws = i * stride, j * stride
            window = x_pad[:, :, hs : hs + HH, ws : ws + WW]  # (N, C, HH, WW)
            d = dout[:, :, i, j]  # (N, F)"""
_POOL_ROUTE = """            winner = window.argmax(axis=2)[:, :, None]  # (N, C, 1)
            dwindow = np.zeros((N, C, ph * pw), dtype=dx.dtype)
            np.put_along_axis(dwindow, winner, dout[:, :, i, j][:, :, None], axis=2)"""
_FC_REG_LOOP = """        for layer in range(1, self.num_layers + 1):
            W = self.params[f"W{layer}"]
            loss += 0.5 * self.reg * np.sum(W * W)"""

MUTANTS = (
    Variant("relu_backward_undefined_name", (Edit(L, "dx = dout * (x > 0)", "dx = dout * (xs > 0)"),),
            ("layers.relu_backward",), "not defined"),
    Variant("relu_backward_wrong_comparison", (Edit(L, "dx = dout * (x > 0)", "dx = dout * (x < 0)"),),
            ("layers.relu_backward",), "wrong comparison"),
    Variant("relu_backward_mask_on_output", (Edit(L, "dx = dout * (x > 0)", "dx = dout * (np.maximum(x, 0) >= 0)"),),
            ("layers.relu_backward",), "mask is always true"),
    Variant("affine_backward_no_reshape", (Edit(L, "dx = (dout @ w.T).reshape(x.shape)", "dx = dout @ w.T"),),
            ("layers.affine_backward",), "forgot to reshape dx"),
    Variant("batchnorm_backward_no_variance_term", (Edit(L, "    dxc += dvar * 2.0 * xc / N  # var = mean(xc ** 2): the path through the variance\n", ""),),
            ("layers.batchnorm_backward",), "misses the variance term"),
    Variant("batchnorm_backward_alt_no_mean_variance", (Edit(L, "dx = (gamma * istd / N) * (N * dout - dbeta - x_hat * dgamma)", "dx = gamma * istd * dout"),),
            ("layers.batchnorm_backward_alt",), "misses both the mean and the variance terms"),
    Variant("batchnorm_running_last_batch", (
        Edit(L, "running_mean = momentum * running_mean + (1 - momentum) * mu", "running_mean = mu"),
        Edit(L, "running_var = momentum * running_var + (1 - momentum) * var", "running_var = var")),
        ("layers.batchnorm_forward",), "keeps only the last batch"),
    Variant("batchnorm_test_uses_batch_stats", (Edit(L, "x_hat = (x - running_mean) / np.sqrt(running_var + eps)  # (N, D)",
                                                     "x_hat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)"),),
            ("layers.batchnorm_forward",), "batch statistics instead of the running averages"),
    Variant("batchnorm_test_crashes", (Edit(L, "x_hat = (x - running_mean) / np.sqrt(running_var + eps)  # (N, D)",
                                            "x_hat = (x - mu) / std"),),
            ("layers.batchnorm_forward",), "before assigning it"),
    Variant("layernorm_backward_wrong", (Edit(L, "        D * dx_hat - dx_hat.sum(axis=1, keepdims=True) - x_hat * (dx_hat * x_hat).sum(axis=1, keepdims=True)\n",
                                              "        D * dx_hat - dx_hat.sum(axis=1, keepdims=True)\n"),),
            ("layers.layernorm_backward",), "misses the variance term"),
    Variant("dropout_not_inverted", (Edit(L, "mask = (np.random.rand(*x.shape) < p).astype(x.dtype) / p", "mask = (np.random.rand(*x.shape) < p).astype(x.dtype)"),),
            ("layers.dropout_forward",), "not inverted"),
    Variant("dropout_drop_convention", (Edit(L, "mask = (np.random.rand(*x.shape) < p).astype(x.dtype) / p",
                                             "mask = (np.random.rand(*x.shape) >= p).astype(x.dtype) / (1 - p)"),),
            ("layers.dropout_forward",), "drop-probability convention"),
    Variant("dropout_skipped_in_net", (Edit(FC, 'out, cache["dropout"] = dropout_forward(out, self.dropout_param)',
                                            'outt, cache["dropout"] = dropout_forward(out, self.dropout_param)'),),
            ("fc_net.FullyConnectedNet",), "silently skipped"),
    Variant("momentum_wrong_sign", (Edit(OPT, "    next_w = w + v\n", "    next_w = w - v\n"),),
            ("optim.sgd_momentum",), "wrong sign"),
    Variant("momentum_v_plus_v", (Edit(OPT, "    next_w = w + v\n", "    next_w = v + v\n"),),
            ("optim.sgd_momentum",), "twice the velocity"),
    Variant("rmsprop_no_sqrt", (Edit(OPT, '/ (np.sqrt(cache) + config["epsilon"])', '/ (cache + config["epsilon"])'),),
            ("optim.rmsprop",), "without the square root"),
    Variant("rmsprop_eps_1e5", (Edit(OPT, '/ (np.sqrt(cache) + config["epsilon"])', "/ (np.sqrt(cache) + 1e5)"),),
            ("optim.rmsprop",), "1e5"),
    Variant("adam_no_bias_correction", (Edit(OPT, "m_hat = m / (1 - beta1**t)", "m_hat = m"),
                                        Edit(OPT, "v_hat = v / (1 - beta2**t)", "v_hat = v")),
            ("optim.adam",), "no bias correction"),
    Variant("adam_t_not_incremented_first", (Edit(OPT, 't = config["t"] + 1', 't = config["t"]'),
                                             Edit(OPT, 'config["m"], config["v"], config["t"] = m, v, t',
                                                  'config["m"], config["v"], config["t"] = m, v, t + 1')),
            ("optim.adam",), "BEFORE the bias correction"),
    Variant("softmax_no_max_subtraction", (Edit(L, "shifted = x - x.max(axis=1, keepdims=True)  # (N, C), new array; max is 0 so exp cannot overflow",
                                                "shifted = x"),),
            ("layers.softmax_loss",), "overflows on large scores"),
    Variant("softmax_modifies_input", (Edit(L, "    shifted = x - x.max(axis=1, keepdims=True)  # (N, C), new array; max is 0 so exp cannot overflow\n",
                                            "    x -= x.max(axis=1, keepdims=True)\n    shifted = x\n"),),
            ("layers.softmax_loss",), "modifies its input in place"),
    Variant("softmax_not_divided_by_N", (Edit(L, "loss = -log_probs[rows, y].sum() / N", "loss = -log_probs[rows, y].sum()"),),
            ("layers.softmax_loss",), "times the expected value"),
    Variant("svm_counts_correct_class", (Edit(L, "    margins[rows, y] = 0  # the correct class does not compete with itself\n", ""),),
            ("layers.svm_loss",), "1 too large"),
    Variant("two_layer_reg_without_half", (Edit(FC, "loss += 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))",
                                                "loss += self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))"),),
            ("fc_net.TwoLayerNet",), "lacks the 0.5 factor"),
    Variant("fc_reg_without_half", (Edit(FC, "loss += 0.5 * self.reg * np.sum(W * W)", "loss += self.reg * np.sum(W * W)"),),
            ("fc_net.FullyConnectedNet",), "lacks the 0.5 factor"),
    Variant("fc_reg_missing_last_layer", (
        Edit(FC, "        for layer in range(1, self.num_layers + 1):\n            W = self.params",
             "        for layer in range(1, self.num_layers):\n            W = self.params"),
        Edit(FC, 'grads[f"W{L}"] = dW + self.reg * self.params[f"W{L}"]', 'grads[f"W{L}"] = dW')),
        ("fc_net.FullyConnectedNet",), "misses the last layer"),
    Variant("fc_reg_on_gamma_beta", (Edit(FC, _FC_REG_LOOP, """        for name, W in self.params.items():
            if name[0] != "b" or name.startswith("beta"):
                loss += 0.5 * self.reg * np.sum(W * W)"""),),
            ("fc_net.FullyConnectedNet",), "gamma/beta are regularised"),
    Variant("conv_backward_ignores_stride", (Edit(L, _CONV_BWD_LOOP, _CONV_BWD_LOOP.replace("i * stride, j * stride", "i, j")),),
            ("layers.conv_backward_naive",), "correct at stride 1 but wrong at a larger stride"),
    Variant("max_pool_backward_not_implemented", (Edit(L, _POOL_ROUTE, "            raise NotImplementedError"),),
            ("layers.max_pool_backward_naive",), "not implemented"),
    Variant("spatial_batchnorm_no_transpose", (
        Edit(L, "x_rows = x.transpose(0, 2, 3, 1).reshape(-1, C)", "x_rows = x.reshape(-1, C)"),
        Edit(L, "out = out_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)", "out = out_rows.reshape(N, C, H, W)"),
        Edit(L, "dout_rows = dout.transpose(0, 2, 3, 1).reshape(-1, C)", "dout_rows = dout.reshape(-1, C)"),
        Edit(L, "dx = dx_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)", "dx = dx_rows.reshape(N, C, H, W)")),
        ("layers.spatial_batchnorm_forward", "layers.spatial_batchnorm_backward"), "channel axis last"),
    Variant("cnn_float_pad", (Edit(CNN, "pad = (filter_size - 1) // 2\n", "pad = (filter_size - 1) / 2\n"),),
            ("cnn.ThreeLayerConvNet",), "use //"),
    Variant("max_pool_backward_overwrites_overlap", (Edit(L, "            dx[:, :, hs : hs + ph, ws : ws + pw] += dwindow.reshape(N, C, ph, pw)",
                                                          "            dx[:, :, hs : hs + ph, ws : ws + pw] = dwindow.reshape(N, C, ph, pw)"),),
            ("layers.max_pool_backward_naive",), "overlapping windows"),
    Variant("max_pool_square_window", (Edit(L, "    W_out = 1 + (W - pw) // stride\n\n    out = np.empty((N, C, H_out, W_out), dtype=x.dtype)",
                                            "    W_out = 1 + (W - ph) // stride\n\n    out = np.empty((N, C, H_out, W_out), dtype=x.dtype)"),
                                       Edit(L, "            out[:, :, i, j] = x[:, :, hs : hs + ph, ws : ws + pw].max(axis=(2, 3))  # (N, C)",
                                            "            out[:, :, i, j] = x[:, :, hs : hs + ph, ws : ws + ph].max(axis=(2, 3))  # (N, C)")),
            ("layers.max_pool_forward_naive",), "non-square pooling window"),
    Variant("max_pool_backward_crashes_on_ties", (Edit(L, _POOL_ROUTE, """            dwindow = np.zeros((N, C, ph * pw), dtype=dx.dtype)
            for n in range(N):
                for c in range(C):
                    k = np.where(window[n, c] == window[n, c].max())[0]
                    dwindow[n, c, int(k)] = dout[n, c, i, j]  # one maximum only: int() of several raises"""),),
            ("layers.max_pool_backward_naive",), "tied maxima"),
    Variant("conv_backward_crops_one_pixel", (Edit(L, "    dx = dx_pad[:, :, pad : pad + H, pad : pad + W]  # drop the padding",
                                                   "    dx = dx_pad[:, :, 1:-1, 1:-1]  # drop the padding"),),
            ("layers.conv_backward_naive",), "pad 2"),
    Variant("conv_forward_square_output", (Edit(L, "    W_out = 1 + (W + 2 * pad - WW) // stride\n\n    x_pad",
                                                "    W_out = 1 + (H + 2 * pad - HH) // stride\n\n    x_pad"),),
            ("layers.conv_forward_naive",), "non-square input"),
    Variant("batchnorm_backward_dgamma_column", (Edit(L, "    dgamma = (dout * x_hat).sum(axis=0)\n    dx_hat = dout * gamma  # (N, D)",
                                                      "    dgamma = (dout * x_hat).sum(axis=0)[:, None]\n    dx_hat = dout * gamma  # (N, D)"),),
            ("layers.batchnorm_backward",), "shape (5, 1), expected (5,)"),
    Variant("batchnorm_test_forgets_gamma_beta", (Edit(L, """        x_hat = (x - running_mean) / np.sqrt(running_var + eps)  # (N, D)
        out = gamma * x_hat + beta""", """        x_hat = (x - running_mean) / np.sqrt(running_var + eps)  # (N, D)
        out = x_hat"""),),
            ("layers.batchnorm_forward",), "forgets gamma and beta"),
    Variant("batchnorm_running_var_with_eps", (
        Edit(L, "        running_var = momentum * running_var + (1 - momentum) * var",
             "        running_var = momentum * running_var + (1 - momentum) * (var + eps)"),),
        ("layers.batchnorm_forward",), "plus eps"),
    Variant("batchnorm_test_eps_outside_sqrt", (
        Edit(L, "        x_hat = (x - running_mean) / np.sqrt(running_var + eps)  # (N, D)",
             "        x_hat = (x - running_mean) / (np.sqrt(running_var) + eps)  # (N, D)"),),
        ("layers.batchnorm_forward",), "eps outside the square root"),
    Variant("cnn_square_images_only", (Edit(CNN, "        W_conv = W + 2 * pad - filter_size + 1\n",
                                            "        W_conv = H + 2 * pad - filter_size + 1\n"),),
            ("cnn.ThreeLayerConvNet",), "non-square images"),
)

ALTERNATIVES = (
    Variant("loops_affine_conv_pool", (
        Edit(L, """    x_rows = x.reshape(x.shape[0], -1)  # (N, D)
    out = x_rows @ w + b  # (N, M)
""", """    out = np.zeros((x.shape[0], w.shape[1]), dtype=np.result_type(x, w))
    for n in range(x.shape[0]):
        row = x[n].reshape(-1)
        for m in range(w.shape[1]):
            out[n, m] = np.sum(row * w[:, m]) + b[m]
"""),
        Edit(L, """            window = x_pad[:, :, hs : hs + HH, ws : ws + WW]  # (N, C, HH, WW)
            # every filter against every example at once: contract over C, HH, WW
            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b  # (N, F)
""", """            for n in range(N):
                for f in range(F):
                    out[n, f, i, j] = np.sum(x_pad[n, :, hs : hs + HH, ws : ws + WW] * w[f]) + b[f]
"""),
        Edit(L, _POOL_ROUTE, """            dwindow = np.zeros((N, C, ph * pw), dtype=dx.dtype)
            for n in range(N):
                for c in range(C):
                    dwindow[n, c, int(np.argmax(window[n, c]))] = dout[n, c, i, j]""")),
        ("layers.affine_forward", "layers.conv_forward_naive", "layers.max_pool_backward_naive", "fc_net.TwoLayerNet"),
    ),
    Variant("other_batchnorm_backward_formulas", (
        Edit(L, """    dxc = dx_hat * istd  # x_hat = xc * istd: the direct path to xc
    distd = (dx_hat * xc).sum(axis=0)  # (D,)
    dstd = -distd / std**2  # istd = 1 / std
    dvar = dstd * 0.5 / std  # std = sqrt(var + eps)
    dxc += dvar * 2.0 * xc / N  # var = mean(xc ** 2): the path through the variance

    dmu = -dxc.sum(axis=0)  # xc = x - mu
    dx = dxc + dmu / N  # mu = mean(x)
""", """    dvar = np.sum(dx_hat * xc, axis=0) * -0.5 * (var + eps) ** -1.5
    dmu = np.sum(-dx_hat * istd, axis=0) + dvar * np.mean(-2.0 * xc, axis=0)
    dx = dx_hat * istd + dvar * 2.0 * xc / N + dmu / N
"""),
        Edit(L, "dx = (gamma * istd / N) * (N * dout - dbeta - x_hat * dgamma)",
             "dx = gamma * istd * (dout - dout.mean(axis=0) - xc * istd**2 * (dout * xc).mean(axis=0))")),
        ("layers.batchnorm_backward", "layers.batchnorm_backward_alt", "layers.spatial_batchnorm_backward",
         # other rounding: the gradient of a bias that batchnorm follows is zero up to rounding
         "fc_net.FullyConnectedNet"),
    ),
    Variant("epsilon_inside_sqrt", (
        Edit(OPT, '/ (np.sqrt(cache) + config["epsilon"])', '/ np.sqrt(cache + config["epsilon"])'),
        Edit(OPT, 'm_hat / (np.sqrt(v_hat) + config["epsilon"])', 'm_hat / np.sqrt(v_hat + config["epsilon"])')),
        ("optim.rmsprop", "optim.adam"),
    ),
    Variant("dropout_mask_binomial", (Edit(L, "mask = (np.random.rand(*x.shape) < p).astype(x.dtype) / p",
                                           "mask = np.random.binomial(1, p, size=x.shape).astype(x.dtype) / p"),),
            ("layers.dropout_forward", "layers.dropout_backward", "fc_net.FullyConnectedNet")),
    Variant("dropout_mask_rand_le", (Edit(L, "mask = (np.random.rand(*x.shape) < p).astype(x.dtype) / p",
                                          "mask = (np.random.rand(*x.shape) <= p) / p\n        mask = mask.astype(x.dtype)"),),
            ("layers.dropout_forward", "layers.dropout_backward")),
    Variant("two_layer_init_other_order", (Edit(FC, """        self.params["W1"] = weight_scale * np.random.randn(input_dim, hidden_dim)  # (D, H)
        self.params["b1"] = np.zeros(hidden_dim)  # (H,)
        self.params["W2"] = weight_scale * np.random.randn(hidden_dim, num_classes)  # (H, C)
""", """        self.params["W2"] = np.random.normal(0.0, weight_scale, (hidden_dim, num_classes))  # (H, C)
        self.params["W1"] = np.random.normal(0.0, weight_scale, (input_dim, hidden_dim))  # (D, H)
        self.params["b1"] = np.zeros(hidden_dim)  # (H,)
"""),), ("fc_net.TwoLayerNet", "solver.Solver")),
    Variant("helper_added_to_layer_utils", (
        Edit(U, "def conv_relu_forward(x, w, b, conv_param):", '''def affine_norm_relu_forward(x, w, b, gamma, beta, param, kind):
    """A student's helper: affine - batchnorm/layernorm/none - relu."""
    a, fc_cache = affine_forward(x, w, b)
    norm_cache = None
    if kind == "batchnorm":
        a, norm_cache = batchnorm_forward(a, gamma, beta, param)
    elif kind == "layernorm":
        a, norm_cache = layernorm_forward(a, gamma, beta, param)
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, norm_cache, relu_cache, kind)


def affine_norm_relu_backward(dout, cache):
    fc_cache, norm_cache, relu_cache, kind = cache
    da = relu_backward(dout, relu_cache)
    dgamma = dbeta = None
    if kind == "batchnorm":
        da, dgamma, dbeta = batchnorm_backward(da, norm_cache)
    elif kind == "layernorm":
        da, dgamma, dbeta = layernorm_backward(da, norm_cache)
    dx, dw, db = affine_backward(da, fc_cache)
    return dx, dw, db, dgamma, dbeta


def conv_relu_forward(x, w, b, conv_param):'''),
        Edit(FC, """            cache = {}
            out, cache["affine"] = affine_forward(out, self.params[f"W{layer}"], self.params[f"b{layer}"])
            if self.normalization is not None:
                gamma, beta = self.params[f"gamma{layer}"], self.params[f"beta{layer}"]
                norm_forward = batchnorm_forward if self.normalization == "batchnorm" else layernorm_forward
                out, cache["norm"] = norm_forward(out, gamma, beta, self.bn_params[layer - 1])
            out, cache["relu"] = relu_forward(out)
""", """            cache = {}
            gamma = self.params.get(f"gamma{layer}")
            beta = self.params.get(f"beta{layer}")
            param = self.bn_params[layer - 1] if self.normalization else None
            out, cache["block"] = affine_norm_relu_forward(out, self.params[f"W{layer}"], self.params[f"b{layer}"],
                                                           gamma, beta, param, self.normalization)
"""),
        Edit(FC, """            dout = relu_backward(dout, cache["relu"])
            if self.normalization is not None:
                norm_backward = batchnorm_backward if self.normalization == "batchnorm" else layernorm_backward
                dout, grads[f"gamma{layer}"], grads[f"beta{layer}"] = norm_backward(dout, cache["norm"])
            dout, dW, db = affine_backward(dout, cache["affine"])
""", """            dout, dW, db, dgamma, dbeta = affine_norm_relu_backward(dout, cache["block"])
            if self.normalization is not None:
                grads[f"gamma{layer}"], grads[f"beta{layer}"] = dgamma, dbeta
""")),
        ("fc_net.FullyConnectedNet", "solver.Solver"),
    ),
    Variant("max_pool_backward_routes_all_maxima", (Edit(L, _POOL_ROUTE, """            top = window == window.max(axis=2, keepdims=True)  # every maximum
            dwindow = top * dout[:, :, i, j][:, :, None]"""),),
            ("layers.max_pool_backward_naive",), warning="every element equal to its maximum"),
    Variant("max_pool_backward_shares_ties", (Edit(L, _POOL_ROUTE, """            top = window == window.max(axis=2, keepdims=True)  # every maximum, sharing the gradient
            dwindow = top / top.sum(axis=2, keepdims=True) * dout[:, :, i, j][:, :, None]"""),),
            ("layers.max_pool_backward_naive",), warning="shares each window's gradient equally"),
    Variant("update_rules_in_place", (
        Edit(OPT, "    next_w = w + v\n", "    w += v  # in place: the Solver keeps what is returned\n    next_w = w\n"),
        Edit(OPT, '    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])',
             '    w -= config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])\n    next_w = w'),
        Edit(OPT, '    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])',
             '    w -= config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])\n    next_w = w')),
        ("optim.sgd_momentum", "optim.rmsprop", "optim.adam", "solver.Solver")),
    Variant("norm_gradients_keepdims", (
        Edit(L, "    dbeta = dout.sum(axis=0)  # out = gamma * x_hat + beta\n    dgamma = (dout * x_hat).sum(axis=0)\n",
             "    dbeta = dout.sum(axis=0, keepdims=True)  # (1, D)\n    dgamma = (dout * x_hat).sum(axis=0, keepdims=True)\n"),
        Edit(L, "    dbeta = dout.sum(axis=0)  # (D,)\n    dgamma = (dout * x_hat).sum(axis=0)  # (D,)\n",
             "    dbeta = dout.sum(axis=0, keepdims=True)  # (1, D)\n    dgamma = (dout * x_hat).sum(axis=0, keepdims=True)\n",
             count=2)),
        ("layers.batchnorm_backward", "layers.batchnorm_backward_alt", "layers.layernorm_backward",
         "layers.spatial_batchnorm_backward", "layer_utils.conv_bn_relu_backward", "fc_net.FullyConnectedNet",
         "solver.Solver"), warning="broadcasts the same way"),
    Variant("batchnorm_running_in_place", (
        Edit(L, "        running_mean = momentum * running_mean + (1 - momentum) * mu",
             "        running_mean *= momentum  # in place: the very array stored in bn_param\n"
             "        running_mean += (1 - momentum) * mu"),
        Edit(L, "        running_var = momentum * running_var + (1 - momentum) * var",
             "        running_var *= momentum\n        running_var += (1 - momentum) * var")),
        ("layers.batchnorm_forward", "layers.spatial_batchnorm_forward", "fc_net.FullyConnectedNet")),
    Variant("batchnorm_running_keepdims", (
        Edit(L, "        mu = x.mean(axis=0)  # (D,)", "        mu = x.mean(axis=0, keepdims=True)  # (1, D)"),
        Edit(L, "        var = (xc**2).mean(axis=0)  # (D,) biased variance", "        var = (xc**2).mean(axis=0, keepdims=True)  # (1, D)")),
        ("layers.batchnorm_forward", "layers.spatial_batchnorm_forward", "fc_net.FullyConnectedNet"),
        warning="broadcasts the same way"),
    Variant("relu_backward_writes_into_dout", (Edit(L, "dx = dout * (x > 0)", "dout[x <= 0] = 0\n    dx = dout"),),
            ("layers.relu_backward", "layer_utils.affine_relu_backward", "layer_utils.conv_relu_backward",
             "layer_utils.conv_bn_relu_backward", "layer_utils.conv_relu_pool_backward", "fc_net.FullyConnectedNet",
             "cnn.ThreeLayerConvNet"), warning="never reads again"),
    Variant("numpy1_idioms", (
        Edit(L, "    dx = (dout @ w.T).reshape(x.shape)  # (N, d_1, ..., d_k)",
             "    dx = np.reshape(dout @ w.T, newshape=x.shape)  # numpy 1.x's keyword"),
        Edit(L, "    H_out = 1 + (H + 2 * pad - HH) // stride\n    W_out = 1 + (W + 2 * pad - WW) // stride\n\n    x_pad",
             "    H_out = np.int(1 + (H + 2 * pad - HH) / stride)\n    W_out = np.int(1 + (W + 2 * pad - WW) / stride)\n\n    x_pad"),
        Edit(L, _POOL_ROUTE, """            dwindow = np.zeros((N, C, ph * pw), dtype=dx.dtype)
            for n in range(N):
                for c in range(C):
                    k = np.where(window[n, c] == window[n, c].max())[0][:1]  # an array of one element
                    dwindow[n, c, int(k)] = dout[n, c, i, j]""")),
        ("layers.affine_backward", "layers.conv_forward_naive", "layers.max_pool_backward_naive")),
    Variant("layers_return_lists", (
        Edit(L, "    cache = (x, w, b)\n    return out, cache", "    cache = (x, w, b)\n    return [out, cache]"),
        Edit(L, "    db = dout.sum(axis=0)  # (M,)\n", "    db = list(dout.sum(axis=0))  # a list of numbers\n"),
        Edit(L, "    return dx, dw, db\n\n\ndef relu_forward", "    return [dx, dw, db]\n\n\ndef relu_forward")),
        ("layers.affine_forward", "layers.affine_backward")),
    Variant("groupnorm_gradients_as_documented_2018", (
        Edit(L, "    dbeta = dout.sum(axis=(0, 2, 3), keepdims=True)  # (1, C, 1, 1)",
             "    dbeta = dout.sum(axis=(0, 2, 3))  # (C,), as the 2018-2020 docstring states"),
        Edit(L, "    dgamma = (dout * x_hat).sum(axis=(0, 2, 3), keepdims=True)  # (1, C, 1, 1)",
             "    dgamma = (dout * x_hat).sum(axis=(0, 2, 3))  # (C,)")),
        ("layers.spatial_groupnorm_backward",), editions=("2018-2020",)),
)
