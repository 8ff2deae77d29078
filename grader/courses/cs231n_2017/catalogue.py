"""The catalogue of CS231n assignment 2 (2016-2017): classic bugs of real submissions of those
years (mutants) and accepted alternative implementations, each a set of text substitutions on
this course's reference (reference/cs231n-2017/). Where the reference delegates to the default
course, a mutant replaces the delegating line by the buggy code a student wrote.

Seen in real 2016/2017 submissions (docs/courses/cs231n-2017.md): dropout with the keep
convention under the "drop" docstring, a normal (randn) dropout mask, and the classics the
family shares (rmsprop's epsilon, adam's t, L2 without 0.5, ...).
"""

from __future__ import annotations

from ...examples import Edit
from ..family.variants import POOL_BACKWARD_ALL_MAXIMA, delegated_layer_bugs
from ..profile import Variant

L, FC, OPT = "cs231n/layers.py", "cs231n/classifiers/fc_net.py", "cs231n/optim.py"

_DROP_TRAIN = "        out, (_, mask) = canonical.dropout_forward(x, {'mode': 'train', 'p': 1 - p})  # kept with 1 - p\n"
_RMSPROP = "    next_x, config = canonical.rmsprop(x, dx, config)\n"
_ADAM = "    next_x, config = canonical.adam(x, dx, config)\n"
_MOMENTUM = """    step = dict(config, velocity=v)
    next_w, step = canonical.sgd_momentum(w, dw, step)
    v = step['velocity']
"""


def _adam(increment_first=True, correct=True):
    t = ("    config['t'] += 1\n    t = config['t']\n" if increment_first else "    t = config['t']\n    config['t'] += 1\n")
    m_hat = "config['m'] / (1 - config['beta1'] ** t)" if correct else "config['m']"
    v_hat = "config['v'] / (1 - config['beta2'] ** t)" if correct else "config['v']"
    return (t + "    config['m'] = config['beta1'] * config['m'] + (1 - config['beta1']) * dx\n"
            "    config['v'] = config['beta2'] * config['v'] + (1 - config['beta2']) * dx ** 2\n"
            f"    next_x = x - config['learning_rate'] * {m_hat} / (np.sqrt({v_hat}) + config['epsilon'])\n")


MUTANTS = (
    Variant("dropout_keep_convention", (Edit(L, _DROP_TRAIN, "        mask = (np.random.rand(*x.shape) < p) / p\n"
                                                             "        out = x * mask\n"),),
            ("layers.dropout_forward",), "keep-probability convention"),
    Variant("dropout_not_inverted", (Edit(L, _DROP_TRAIN, "        mask = np.random.rand(*x.shape) >= p\n"
                                                          "        out = x * mask\n"),),
            ("layers.dropout_forward",), "not inverted"),
    Variant("dropout_randn_mask", (Edit(L, _DROP_TRAIN, "        mask = np.random.randn(*x.shape) < p\n"
                                                        "        out = (x / p) * mask\n"),),
            ("layers.dropout_forward",), "normal distribution"),
    Variant("dropout_skipped_in_net", (Edit(FC, "out, layer['dropout'] = dropout_forward(out, self.dropout_param)",
                                            "outt, layer['dropout'] = dropout_forward(out, self.dropout_param)"),),
            ("fc_net.FullyConnectedNet",), "silently skipped"),
    *delegated_layer_bugs(L),
    Variant("batchnorm_running_last_batch", (Edit(L, "        running_mean, running_var = stats['running_mean'], stats['running_var']\n",
                                                  "        running_mean, running_var = x.mean(axis=0), x.var(axis=0)\n"),),
            ("layers.batchnorm_forward",), "keeps only the last batch"),
    Variant("batchnorm_backward_no_variance_term", (Edit(L, "    dx, dgamma, dbeta = canonical.batchnorm_backward(dout, cache)\n",
                                                         "    x_hat, xc, var, std, istd, gamma, eps = cache\n"
                                                         "    dbeta = np.sum(dout, axis=0)\n"
                                                         "    dgamma = np.sum(dout * x_hat, axis=0)\n"
                                                         "    g = dout * gamma\n"
                                                         "    dx = (g - g.mean(axis=0)) * istd\n"),),
            ("layers.batchnorm_backward",), "misses the variance term"),
    Variant("momentum_wrong_sign", (Edit(OPT, _MOMENTUM, "    v = config['momentum'] * v - config['learning_rate'] * dw\n"
                                                     "    next_w = w - v\n"),),
            ("optim.sgd_momentum",), "wrong sign"),
    Variant("rmsprop_eps_1e5", (Edit(OPT, _RMSPROP, "    config['cache'] = config['decay_rate'] * config['cache'] + (1 - config['decay_rate']) * dx ** 2\n"
                                                    "    next_x = x - config['learning_rate'] * dx / (np.sqrt(config['cache']) + 1e5)\n"),),
            ("optim.rmsprop",), "1e5"),
    Variant("rmsprop_no_sqrt", (Edit(OPT, _RMSPROP, "    config['cache'] = config['decay_rate'] * config['cache'] + (1 - config['decay_rate']) * dx ** 2\n"
                                                    "    next_x = x - config['learning_rate'] * dx / (config['cache'] + config['epsilon'])\n"),),
            ("optim.rmsprop",), "without the square root"),
    Variant("adam_t_not_incremented_first", (Edit(OPT, _ADAM, _adam(increment_first=False)),),
            ("optim.adam",), "BEFORE the bias correction"),
    Variant("adam_no_bias_correction", (Edit(OPT, _ADAM, _adam(correct=False)),), ("optim.adam",), "no bias correction"),
    Variant("fc_reg_without_half", (Edit(FC, "            loss += 0.5 * self.reg * np.sum(W * W)\n",
                                         "            loss += self.reg * np.sum(W * W)\n"),),
            ("fc_net.FullyConnectedNet",), "lacks the 0.5 factor"),
)

ALTERNATIVES = (
    # the drop convention written as real 2017 submissions do (a mask of units kept, scaled by 1 / (1 - p))
    Variant("dropout_mask_random_sample", (Edit(L, _DROP_TRAIN, "        mask = (np.random.random_sample(x.shape) >= p) / (1 - p)\n"
                                                                "        out = x * mask\n"),),
            ("layers.dropout_forward", "layers.dropout_backward", "fc_net.FullyConnectedNet")),
    Variant("dropout_keep_ratio_variable", (Edit(L, _DROP_TRAIN, "        keep = 1 - p\n"
                                                                 "        mask = (np.random.random(x.shape) < keep) / keep\n"
                                                                 "        out = x * mask\n"),),
            ("layers.dropout_forward", "layers.dropout_backward")),
    Variant("adam_own_code", (Edit(OPT, _ADAM, _adam()),), ("optim.adam",)),
    Variant("epsilon_inside_sqrt", (Edit(OPT, _RMSPROP, "    config['cache'] = config['decay_rate'] * config['cache'] + (1 - config['decay_rate']) * dx ** 2\n"
                                                         "    next_x = x - config['learning_rate'] * dx / np.sqrt(config['cache'] + config['epsilon'])\n"),),
            ("optim.rmsprop",)),
    # ties: the notebooks never test them, so routing to every maximum is a warning (docs/grading-policy.md)
    Variant("max_pool_backward_routes_all_maxima",
            (Edit(L, "    dx = canonical.max_pool_backward_naive(dout, cache)\n", POOL_BACKWARD_ALL_MAXIMA),),
            ("layers.max_pool_backward_naive",), warning="every element equal to"),
)
