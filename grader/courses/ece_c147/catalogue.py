"""The catalogue of ECE C147/C247: classic bugs of the course's students (mutants) and other
correct implementations (alternatives), each a set of text substitutions on the reference.

Every substitution asserts that its text occurs in the reference exactly as often as expected.
The dropout edits never touch the line the keep-probability editions rewrite (their edits apply
after these), so each mutant is the same bug in every edition. Bugs seen in real submissions:
docs/courses/ece-c147.md.
"""

from __future__ import annotations

from ...examples import Edit
from ..family.variants import POOL_BACKWARD_ALL_MAXIMA
from ..profile import Variant

L, U, FC, NET, OPT = "nndl/layers.py", "nndl/layer_utils.py", "nndl/fc_net.py", "nndl/neural_net.py", "nndl/optim.py"
CL, CNN = "nndl/conv_layers.py", "nndl/cnn.py"

_NESTEROV = "next_w = w + v + mu * (v - v_prev)"
_CONV_BACKWARD = "    dx, dw, db = canonical.conv_backward_naive(dout, cache)\n"
_POOL_BACKWARD = "    dx = canonical.max_pool_backward_naive(dout, cache)\n"
_RMSPROP = """    state = {'learning_rate': config['learning_rate'], 'decay_rate': config['decay_rate'],
             'epsilon': config['epsilon'], 'cache': config['a']}
    next_w, state = canonical.rmsprop(w, dw, state)
    config['a'] = state['cache']
"""
_ADAM_STORE = "config['v'], config['a'], config['t'] = state['m'], state['v'], state['t']"

# conv backward written with loops, the stride forgotten (right at stride 1 only)
_CONV_BACKWARD_NO_STRIDE = """    x, w, b, conv_param = cache
    pad = conv_param['pad']
    F, C, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    db = dout.sum(axis=(0, 2, 3))
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            window = xp[:, :, i:i + HH, j:j + WW]
            d = dout[:, :, i, j]
            dw += np.tensordot(d, window, axes=([0], [0]))
            dxp[:, :, i:i + HH, j:j + WW] += np.tensordot(d, w, axes=([1], [0]))
    dx = dxp[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]]
"""

MUTANTS = (
    # dropout: the other convention (p flipped before the mask), not inverted, test-mode gradient 0
    Variant("dropout_other_convention", (Edit(L, "        mask = (np.random.rand(*x.shape)",
                                              "        p = 1 - p  # (the other course's convention)\n"
                                              "        mask = (np.random.rand(*x.shape)"),),
            ("layers.dropout_forward",), "-probability convention: p is the probability of"),
    Variant("dropout_not_inverted", (Edit(L, "        out = x * mask\n",
                                          "        mask = (mask > 0).astype(x.dtype)\n        out = x * mask\n"),),
            ("layers.dropout_forward",), "not inverted"),
    Variant("dropout_backward_test_zero", (Edit(L, "        dx = dout\n", "        dx = 0 * dout\n"),),
            ("layers.dropout_backward",)),
    Variant("fc_dropout_skipped", (Edit(FC, "out, cache['dropout'] = dropout_forward(out, self.dropout_param)",
                                        "outt, cache['dropout'] = dropout_forward(out, self.dropout_param)"),),
            ("fc_net.FullyConnectedNet",), "silently skipped", not_in=("hw3",)),
    # batch normalization
    Variant("batchnorm_running_last_batch", (Edit(L, "running_mean, running_var = state['running_mean'], state['running_var']",
                                                  "running_mean, running_var = x.mean(axis=0), x.var(axis=0)"),),
            ("layers.batchnorm_forward",), "keeps only the last batch"),
    Variant("batchnorm_test_uses_batch_stats", (Edit(L, "out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta",
                                                     "out = gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps) + beta"),),
            ("layers.batchnorm_forward",), "batch statistics instead of the running averages"),
    Variant("spatial_batchnorm_no_transpose", (Edit(CL, "    out, cache = canonical.spatial_batchnorm_forward(x, gamma, beta, bn_param)\n",
                                                    "    N, C, H, W = x.shape\n"
                                                    "    rows, cache = batchnorm_forward(x.reshape(-1, C), gamma, beta, bn_param)\n"
                                                    "    out = rows.reshape(N, C, H, W)\n"),),
            ("conv_layers.spatial_batchnorm_forward",), "channel axis last"),
    # update rules: the state under another course's keys, Nesterov's classic wrong forms
    Variant("rmsprop_state_under_cache", (Edit(OPT, "config['a'] = state['cache']", "config['cache'] = state['cache']"),),
            ("optim.rmsprop",), "this course stores it in config['a']"),
    Variant("adam_state_under_m_and_v", (Edit(OPT, _ADAM_STORE, "config['m'], config['v'], config['t'] = "
                                                                "state['m'], state['v'], state['t']"),),
            ("optim.adam",), "this course stores it in config['v']"),
    Variant("adam_v_and_a_swapped", (Edit(OPT, "'m': config['v'], 'v': config['a']", "'m': config['a'], 'v': config['v']"),
                                     Edit(OPT, _ADAM_STORE, "config['a'], config['v'], config['t'] = "
                                                            "state['m'], state['v'], state['t']")),
            ("optim.adam",), "are swapped"),
    Variant("nesterov_is_momentum", (Edit(OPT, _NESTEROV, "next_w = w + v"),),
            ("optim.sgd_nesterov_momentum",), "plain momentum"),
    Variant("nesterov_lookahead_sign", (Edit(OPT, _NESTEROV, "next_w = w + mu * v_prev + (1 + mu) * v"),),
            ("optim.sgd_nesterov_momentum",), "wrong sign"),
    Variant("nesterov_old_velocity", (Edit(OPT, _NESTEROV, "next_w = w + mu * v_prev - (1 + mu) * config['learning_rate'] * dw"),),
            ("optim.sgd_nesterov_momentum",), "uses the old velocity"),
    Variant("rmsprop_no_sqrt", (Edit(OPT, _RMSPROP, "    config['a'] = config['decay_rate'] * config['a'] + "
                                                    "(1 - config['decay_rate']) * dw**2\n"
                                                    "    next_w = w - config['learning_rate'] * dw / "
                                                    "(config['a'] + config['epsilon'])\n"),),
            ("optim.rmsprop",), "without the square root"),
    # the two-layer net of neural_net.py: the other orientation of the weights, the 0.5 factor
    Variant("two_layer_weights_transposed", (
        Edit(NET, "std * np.random.randn(hidden_size, input_size)", "std * np.random.randn(input_size, hidden_size)"),
        Edit(NET, "std * np.random.randn(output_size, hidden_size)", "std * np.random.randn(hidden_size, output_size)"),
        Edit(NET, "canonical.affine_forward(X, W1.T, b1)", "canonical.affine_forward(X, W1, b1)"),
        Edit(NET, "canonical.affine_forward(h1, W2.T, b2)", "canonical.affine_forward(h1, W2, b2)"),
        Edit(NET, "grads['W2'] = dW2t.T + reg * W2", "grads['W2'] = dW2t + reg * W2"),
        Edit(NET, "grads['W1'] = dW1t.T + reg * W1", "grads['W1'] = dW1t + reg * W1")),
        ("neural_net.TwoLayerNet",), "the other orientation"),
    Variant("two_layer_reg_without_half", (Edit(NET, "loss = data_loss + 0.5 * reg * (", "loss = data_loss + reg * ("),),
            ("neural_net.TwoLayerNet",), "lacks the 0.5 factor"),
    Variant("two_layer_no_update", (Edit(NET, "self.params[name] = self.params[name] - learning_rate * grads[name]",
                                         "self.params[name] = self.params[name] - 0 * grads[name]"),),
            ("neural_net.TwoLayerNet",), None),
    Variant("fc_reg_without_half", (Edit(FC, "loss += 0.5 * self.reg * np.sum(W * W)", "loss += self.reg * np.sum(W * W)"),),
            ("fc_net.FullyConnectedNet",), "lacks the 0.5 factor"),
    # convolution and pooling
    Variant("conv_backward_ignores_stride", (Edit(CL, _CONV_BACKWARD, _CONV_BACKWARD_NO_STRIDE),),
            ("conv_layers.conv_backward_naive",), "correct at stride 1 but wrong at a larger stride"),
)

ALTERNATIVES = (
    # 1 - U is uniform too: another mask for the same seed, the same convention in every edition
    Variant("dropout_mask_from_one_minus_u", (Edit(L, "mask = (np.random.rand(*x.shape)", "mask = (1 - np.random.rand(*x.shape)"),),
            ("layers.dropout_forward", "layers.dropout_backward", "fc_net.FullyConnectedNet")),
    Variant("nesterov_written_with_the_old_velocity", (Edit(OPT, _NESTEROV, "next_w = w - mu * v_prev + (1 + mu) * v"),),
            ("optim.sgd_nesterov_momentum",)),
    Variant("rmsprop_epsilon_inside_sqrt", (Edit(OPT, _RMSPROP, "    config['a'] = config['decay_rate'] * config['a'] + "
                                                                "(1 - config['decay_rate']) * dw * dw\n"
                                                                "    next_w = w - config['learning_rate'] * dw / "
                                                                "np.sqrt(config['a'] + config['epsilon'])\n"),),
            ("optim.rmsprop",)),
    Variant("two_layer_batches_without_replacement", (Edit(NET, "idx = np.random.choice(num_train, batch_size)",
                                                           "idx = np.random.choice(num_train, batch_size, replace=False)"),),
            ("neural_net.TwoLayerNet",)),
    Variant("conv_forward_with_loops", (Edit(CL, "    out, _ = canonical.conv_forward_naive(x, w, b, conv_param)\n", """\
    stride, pad = conv_param['stride'], conv_param['pad']
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant')
    Hout, Wout = 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride
    out = np.zeros((N, F, Hout, Wout), dtype=np.result_type(x, w))
    for n in range(N):
        for f in range(F):
            for i in range(Hout):
                for j in range(Wout):
                    patch = xp[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    out[n, f, i, j] = np.sum(patch * w[f]) + b[f]
"""),), ("conv_layers.conv_forward_naive",)),
    # a student's sandwich layer in layer_utils.py, used by the net (layer_utils.py is the student's)
    Variant("helper_added_to_layer_utils", (
        Edit(U, "def affine_relu_backward(dout, cache):", '''def affine_bn_relu_forward(x, w, b, gamma, beta, bn_param):
    """A student's sandwich layer: affine - batchnorm - relu."""
    a, fc_cache = affine_forward(x, w, b)
    a, bn_cache = batchnorm_forward(a, gamma, beta, bn_param)
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, bn_cache, relu_cache)


def affine_bn_relu_backward(dout, cache):
    fc_cache, bn_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    da, dgamma, dbeta = batchnorm_backward(da, bn_cache)
    dx, dw, db = affine_backward(da, fc_cache)
    return dx, dw, db, dgamma, dbeta


def affine_relu_backward(dout, cache):'''),
        Edit(FC, """            out, cache['affine'] = affine_forward(out, self.params['W%d' % i], self.params['b%d' % i])
            if self.use_batchnorm:
                out, cache['bn'] = batchnorm_forward(out, self.params['gamma%d' % i], self.params['beta%d' % i],
                                                     self.bn_params[i - 1])
            out, cache['relu'] = relu_forward(out)
""", """            if self.use_batchnorm:
                out, cache['block'] = affine_bn_relu_forward(out, self.params['W%d' % i], self.params['b%d' % i],
                                                             self.params['gamma%d' % i], self.params['beta%d' % i],
                                                             self.bn_params[i - 1])
            else:
                out, cache['block'] = affine_relu_forward(out, self.params['W%d' % i], self.params['b%d' % i])
"""),
        Edit(FC, """            dout = relu_backward(dout, cache['relu'])
            if self.use_batchnorm:
                dout, grads['gamma%d' % i], grads['beta%d' % i] = batchnorm_backward(dout, cache['bn'])
            dout, dW, grads['b%d' % i] = affine_backward(dout, cache['affine'])
""", """            if self.use_batchnorm:
                dout, dW, grads['b%d' % i], grads['gamma%d' % i], grads['beta%d' % i] = \\
                    affine_bn_relu_backward(dout, cache['block'])
            else:
                dout, dW, grads['b%d' % i] = affine_relu_backward(dout, cache['block'])
""")),
        ("fc_net.FullyConnectedNet",)),
    # ties: the notebooks never test them, so routing to every maximum is a warning (docs/grading-policy.md)
    Variant("max_pool_backward_routes_all_maxima", (Edit(CL, _POOL_BACKWARD, POOL_BACKWARD_ALL_MAXIMA),),
            ("conv_layers.max_pool_backward_naive",), warning="every element equal to"),
)
