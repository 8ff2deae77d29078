"""First-order update rules for training neural networks.

Each rule has the interface

    def update(w, dw, config=None):

- w: an array of the current weights
- dw: an array of the same shape, the gradient of the loss with respect to w
- config: a dictionary of hyperparameters (learning rate, momentum, ...) and of
  whatever the rule must remember between steps (a velocity, moving averages);
  None means every default and no memory yet

and returns (next_w, config): the weights after the step and the config to pass
to the next step. The Solver keeps one config per parameter.
"""
import numpy as np


def sgd(w, dw, config=None):
    """
    Vanilla stochastic gradient descent.

    config:
    - learning_rate: scalar learning rate (default 1e-2)
    """
    if config is None: config = {}
    config.setdefault('learning_rate', 1e-2)

    w -= config['learning_rate'] * dw
    return w, config


def sgd_momentum(w, dw, config=None):
    """
    Stochastic gradient descent with momentum.

    config:
    - learning_rate: scalar learning rate (default 1e-2)
    - momentum: scalar between 0 and 1 (default 0.9); 0 is vanilla sgd
    - velocity: an array of the shape of w and dw, a moving average of the
      gradients
    """
    if config is None: config = {}
    config.setdefault('learning_rate', 1e-2)
    config.setdefault('momentum', 0.9)
    v = config.get('velocity', np.zeros_like(w))

    next_w = None
    #############################################################################
    # TODO: Implement the momentum update. Store the updated weights in next_w  #
    # and the updated velocity in v.                                            #
    #############################################################################
    pass
    #############################################################################
    #                              END OF YOUR CODE                             #
    #############################################################################
    config['velocity'] = v

    return next_w, config


def rmsprop(x, dx, config=None):
    """
    RMSProp: the learning rate of each parameter is scaled by a moving average
    of the squared gradients.

    config:
    - learning_rate: scalar learning rate (default 1e-2)
    - decay_rate: scalar between 0 and 1, the decay of the squared-gradient
      cache (default 0.99)
    - epsilon: small scalar that avoids dividing by zero (default 1e-8)
    - cache: moving average of the second moments of the gradients
    """
    if config is None: config = {}
    config.setdefault('learning_rate', 1e-2)
    config.setdefault('decay_rate', 0.99)
    config.setdefault('epsilon', 1e-8)
    config.setdefault('cache', np.zeros_like(x))

    next_x = None
    #############################################################################
    # TODO: Implement the RMSprop update. Store the next value of x in next_x   #
    # and the new moving average of the squared gradients in config['cache'].   #
    #############################################################################
    pass
    #############################################################################
    #                              END OF YOUR CODE                             #
    #############################################################################

    return next_x, config


def adam(x, dx, config=None):
    """
    Adam: moving averages of the gradient and of its square, with a correction
    of their bias towards zero.

    config:
    - learning_rate: scalar learning rate (default 1e-3)
    - beta1: decay of the moving average of the gradient (default 0.9)
    - beta2: decay of the moving average of the squared gradient (default 0.999)
    - epsilon: small scalar that avoids dividing by zero (default 1e-8)
    - m: moving average of the gradient
    - v: moving average of the squared gradient
    - t: iteration number
    """
    if config is None: config = {}
    config.setdefault('learning_rate', 1e-3)
    config.setdefault('beta1', 0.9)
    config.setdefault('beta2', 0.999)
    config.setdefault('epsilon', 1e-8)
    config.setdefault('m', np.zeros_like(x))
    config.setdefault('v', np.zeros_like(x))
    config.setdefault('t', 1)

    next_x = None
    #############################################################################
    # TODO: Implement the Adam update. Store the next value of x in next_x and  #
    # the updated m, v and t in config. Increment t before it enters the bias   #
    # correction.                                                               #
    #############################################################################
    pass
    #############################################################################
    #                              END OF YOUR CODE                             #
    #############################################################################

    return next_x, config
