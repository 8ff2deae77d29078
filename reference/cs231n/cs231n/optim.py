"""Update rules the Solver trains with.

Each rule is `rule(w, dw, config=None) -> (next_w, config)`:
- w: current parameter array; dw: gradient of the loss for w (same shape).
- config: dict of hyperparameters plus the state the rule carries from one step
  to the next (velocity, cache, moments). None means "all defaults, no state yet";
  missing hyperparameters are filled in with config.setdefault.
- next_w: the updated parameter (a new array: w itself is not modified).

The Solver keeps one config per parameter and hands it back on every step, so
whatever a rule must remember goes into config.
"""

import numpy as np


def sgd(w, dw, config=None):
    """
    Plain stochastic gradient descent: w -= learning_rate * dw.

    config: learning_rate (default 1e-2).
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)

    w = w - config["learning_rate"] * dw  # new array: the caller's w is untouched
    return w, config


def sgd_momentum(w, dw, config=None):
    """
    SGD with momentum.

    config:
    - learning_rate (default 1e-2).
    - momentum in [0, 1) (default 0.9); 0 gives plain sgd.
    - velocity: state, same shape as w (zeros before the first step).
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))  # (same shape as w)

    next_w = None
    # TODO: Implement the momentum update: integrate the velocity v from the
    # gradient, then step w along v. Store the new weights in next_w and the new
    # velocity in v.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    v = config["momentum"] * v - config["learning_rate"] * dw  # velocity decays, then descends
    next_w = w + v
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    config["velocity"] = v

    return next_w, config


def rmsprop(w, dw, config=None):
    """
    RMSProp: each parameter's step is scaled by a moving RMS of its gradients.

    config:
    - learning_rate (default 1e-2).
    - decay_rate of the moving average (default 0.99).
    - epsilon added to the denominator (default 1e-8).
    - cache: state, moving average of dw**2, same shape as w (zeros at first).
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))

    next_w = None
    # TODO: Implement the RMSprop update: update the moving average of squared
    # gradients in config['cache'], then use it to scale the step. Store the new
    # weights in next_w.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    decay = config["decay_rate"]
    cache = decay * config["cache"] + (1 - decay) * dw**2  # (same shape as w)
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    config["cache"] = cache
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    return next_w, config


def adam(w, dw, config=None):
    """
    Adam: moving averages of dw and dw**2, bias-corrected, give the step.

    config:
    - learning_rate (default 1e-3).
    - beta1, beta2: decay rates of the two averages (defaults 0.9, 0.999).
    - epsilon added to the denominator (default 1e-8).
    - m, v: state, the averages of dw and dw**2, same shape as w (zeros at first).
    - t: state, the number of steps taken (0 at first; the k-th step uses t = k).
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)

    next_w = None
    # TODO: Implement the Adam update. Store the new weights in next_w and the
    # updated m, v and t in config. Increment t BEFORE using it in the bias
    # correction, so that the first step uses t = 1.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    beta1, beta2 = config["beta1"], config["beta2"]
    t = config["t"] + 1
    m = beta1 * config["m"] + (1 - beta1) * dw  # (same shape as w)
    v = beta2 * config["v"] + (1 - beta2) * dw**2  # (same shape as w)
    # Both averages start at zero, so early on they are biased towards zero.
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    config["m"], config["v"], config["t"] = m, v, t
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    return next_w, config
