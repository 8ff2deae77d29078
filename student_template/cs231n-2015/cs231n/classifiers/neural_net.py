"""A two-layer fully connected network written as functions of a model dictionary.

The model is a plain dict of numpy arrays (W1, b1, W2, b2); init_two_layer_model
makes one, two_layer_net computes its scores, or its loss and gradients, and
cs231n.classifier_trainer.ClassifierTrainer trains it.
"""
import numpy as np


def init_two_layer_model(input_size, hidden_size, output_size):
    """
    Initialize the weights and biases of a two-layer fully connected network
    with D inputs, H hidden units and C classes: weights are small random values,
    biases are zero.

    Inputs:
    - input_size: the dimension D of the input data
    - hidden_size: the number H of neurons in the hidden layer
    - output_size: the number C of classes

    Returns a dictionary mapping parameter names to arrays:
    - W1: first layer weights, of shape (D, H)
    - b1: first layer biases, of shape (H,)
    - W2: second layer weights, of shape (H, C)
    - b2: second layer biases, of shape (C,)
    """
    model = {}
    model['W1'] = 0.00001 * np.random.randn(input_size, hidden_size)
    model['b1'] = np.zeros(hidden_size)
    model['W2'] = 0.00001 * np.random.randn(hidden_size, output_size)
    model['b2'] = np.zeros(output_size)
    return model


def two_layer_net(X, model, y=None, reg=0.0):
    """
    Loss and gradients of a two-layer fully connected network with a ReLU after
    the first layer and a softmax loss:

    input - fully connected layer - ReLU - fully connected layer - softmax

    The outputs of the second layer are the class scores.

    Inputs:
    - X: input data of shape (N, D); each X[i] is a training sample
    - model: dictionary of the parameter arrays W1 (D, H), b1 (H,), W2 (H, C), b2 (C,)
    - y: vector of training labels, y[i] in 0 <= y[i] < C; optional: without it
      only the scores are returned
    - reg: regularization strength

    Returns:
    Without y, the matrix of scores of shape (N, C), scores[i, c] the score of
    class c for X[i]. With y, a tuple of:
    - loss: the data loss plus the L2 regularization of W1 and W2, for this batch
    - grads: dictionary of the gradients of the loss for each parameter, with the
      keys of model
    """
    W1, b1, W2, b2 = model['W1'], model['b1'], model['W2'], model['b2']
    N, D = X.shape

    # compute the forward pass
    scores = None
    #############################################################################
    # TODO: Perform the forward pass: the class scores of the input into the    #
    # variable scores, an array of shape (N, C).                                #
    #############################################################################
    pass
    #############################################################################
    #                              END OF YOUR CODE                             #
    #############################################################################

    # If the targets are not given then jump out, we're done
    if y is None:
        return scores

    # compute the loss
    loss = None
    #############################################################################
    # TODO: Finish the forward pass and compute the loss: the softmax data loss #
    # plus the L2 regularization of W1 and W2, a scalar in the variable loss.   #
    # So that your results match ours, multiply the regularization loss by 0.5. #
    #############################################################################
    pass
    #############################################################################
    #                              END OF YOUR CODE                             #
    #############################################################################

    # compute the gradients
    grads = {}
    #############################################################################
    # TODO: Compute the backward pass: the derivatives of the loss for the      #
    # weights and biases, in the dictionary grads (grads['W1'] for model['W1'], #
    # and so on).                                                               #
    #############################################################################
    pass
    #############################################################################
    #                              END OF YOUR CODE                             #
    #############################################################################

    return loss, grads
