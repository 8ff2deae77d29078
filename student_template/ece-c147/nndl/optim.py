"""First-order update rules for training neural networks.

Every rule has the same interface:

    next_w, config = update(w, dw, config=None)

Inputs:
- w: the current weights (a numpy array)
- dw: the gradient of the loss with respect to w, of the shape of w
- config: a dictionary of hyperparameters (learning rate, momentum, ...) and of whatever the
  rule carries from one step to the next (its state); None means the defaults

Returns:
- next_w: the weights after the step
- config: the dictionary to pass to the next step

The defaults of the hyperparameters other than the learning rate suit most problems; the
learning rate usually needs tuning.

Your code goes in the marked blocks: between the rule lines of each comment that asks for it.
"""

import numpy as np


def sgd(w, dw, config=None):
    """
    Plain stochastic gradient descent (given).

    config:
    - learning_rate: scalar (default 1e-2)
    """
    if config is None:
        config = {}
    config.setdefault('learning_rate', 1e-2)

    next_w = w - config['learning_rate'] * dw
    return next_w, config


def sgd_momentum(w, dw, config=None):
    """
    Stochastic gradient descent with momentum.

    config:
    - learning_rate: scalar (default 1e-2)
    - momentum: scalar in [0, 1) (default 0.9); 0 gives plain sgd
    - velocity: the state, an array of the shape of w (zeros before the first step)
    """
    if config is None:
        config = {}
    config.setdefault('learning_rate', 1e-2)
    config.setdefault('momentum', 0.9)
    v = config.get('velocity', np.zeros_like(w))

    next_w = None
    # ================================================================ #
    # YOUR CODE HERE:
    #   Update the velocity v with the gradient, then step w along it.
    #   Store the new weights in next_w and the new velocity in v.
    # ================================================================ #
    pass
    # ================================================================ #
    # END YOUR CODE HERE
    # ================================================================ #
    config['velocity'] = v

    return next_w, config


def sgd_nesterov_momentum(w, dw, config=None):
    """
    Stochastic gradient descent with Nesterov momentum.

    config:
    - learning_rate: scalar (default 1e-2)
    - momentum: scalar in [0, 1) (default 0.9)
    - velocity: the state, an array of the shape of w (zeros before the first step)
    """
    if config is None:
        config = {}
    config.setdefault('learning_rate', 1e-2)
    config.setdefault('momentum', 0.9)
    v = config.get('velocity', np.zeros_like(w))

    next_w = None
    # ================================================================ #
    # YOUR CODE HERE:
    #   Nesterov's update: the velocity is updated as for momentum,
    #   and the step looks ahead along it (the lecture's form, written
    #   with the previous and the new velocity). Store the new weights
    #   in next_w and the new velocity in v.
    # ================================================================ #
    pass
    # ================================================================ #
    # END YOUR CODE HERE
    # ================================================================ #
    config['velocity'] = v

    return next_w, config


def rmsprop(w, dw, config=None):
    """
    RMSProp: each weight's step is divided by a moving root mean square of its gradients.

    config:
    - learning_rate: scalar (default 1e-2)
    - decay_rate: of the moving average of the squared gradients (default 0.99)
    - epsilon: small number added to the denominator (default 1e-8)
    - a: the state, the moving average of the squared gradients, of the shape of w
    """
    if config is None:
        config = {}
    config.setdefault('learning_rate', 1e-2)
    config.setdefault('decay_rate', 0.99)
    config.setdefault('epsilon', 1e-8)
    config.setdefault('a', np.zeros_like(w))

    next_w = None
    # ================================================================ #
    # YOUR CODE HERE:
    #   Update the moving average of the squared gradients and store it
    #   in config['a'] (the "a" of the lecture notes); store the new
    #   weights in next_w.
    # ================================================================ #
    pass
    # ================================================================ #
    # END YOUR CODE HERE
    # ================================================================ #

    return next_w, config


def adam(w, dw, config=None):
    """
    Adam: moving averages of the gradient and of its square, with a bias correction.

    config:
    - learning_rate: scalar (default 1e-3)
    - beta1: decay rate of the moving average of the gradient (first moment) (default 0.9)
    - beta2: decay rate of the moving average of its square (second moment) (default 0.999)
    - epsilon: small number added to the denominator (default 1e-8)
    - v: the state, the moving average of the gradient (first moment)
    - a: the state, the moving average of the squared gradient (second moment)
    - t: the state, the number of steps taken
    """
    if config is None:
        config = {}
    config.setdefault('learning_rate', 1e-3)
    config.setdefault('beta1', 0.9)
    config.setdefault('beta2', 0.999)
    config.setdefault('epsilon', 1e-8)
    config.setdefault('v', np.zeros_like(w))
    config.setdefault('a', np.zeros_like(w))
    config.setdefault('t', 0)

    next_w = None
    # ================================================================ #
    # YOUR CODE HERE:
    #   Store the new weights in next_w, the moving average of the
    #   gradient in config['v'], that of the squared gradient in
    #   config['a'], and the step count in config['t'] (increase it
    #   before the bias correction: the first step uses t = 1).
    # ================================================================ #
    pass
    # ================================================================ #
    # END YOUR CODE HERE
    # ================================================================ #

    return next_w, config
