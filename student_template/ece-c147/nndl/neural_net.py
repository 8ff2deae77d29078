"""A two-layer fully connected network with its own training loop (the two_layer_nn notebook).

Your code goes in the marked blocks: between the rule lines of each comment that asks for it.
"""

import numpy as np


class TwoLayerNet(object):
    """
    A two-layer fully connected neural network: input dimension D, a hidden layer of H units,
    C classes. Architecture:

        input - fully connected - ReLU - fully connected - softmax

    trained with a softmax loss and L2 regularization of the weight matrices. The outputs of the
    second fully connected layer are the class scores.

    The weights are stored as the lecture writes them, one ROW per unit of the layer they feed:
    h = ReLU(W1 x + b1) and scores = W2 h + b2 for a column x, so for a minibatch X of rows,
    h = ReLU(X W1^T + b1).
    """

    def __init__(self, input_size, hidden_size, output_size, std=1e-4):
        """
        Initialize the model: small random weights, zero biases, in the dictionary self.params:

        W1: first layer weights, of shape (H, D)
        b1: first layer biases, of shape (H,)
        W2: second layer weights, of shape (C, H)
        b2: second layer biases, of shape (C,)

        Inputs:
        - input_size: the dimension D of the input
        - hidden_size: the number H of hidden units
        - output_size: the number C of classes
        - std: standard deviation of the initial weights
        """
        self.params = {}
        self.params['W1'] = std * np.random.randn(hidden_size, input_size)
        self.params['b1'] = np.zeros(hidden_size)
        self.params['W2'] = std * np.random.randn(output_size, hidden_size)
        self.params['b2'] = np.zeros(output_size)

    def loss(self, X, y=None, reg=0.0):
        """
        The scores, or the loss and its gradients, of a minibatch.

        Inputs:
        - X: input data, of shape (N, D); X[i] is one example
        - y: labels, of shape (N,), 0 <= y[i] < C; optional
        - reg: L2 regularization strength

        Returns:
        If y is None: the scores, of shape (N, C); scores[i, c] is the score of class c for X[i].
        Otherwise a tuple of:
        - loss: the data loss plus the regularization loss of this minibatch
        - grads: a dictionary with the keys of self.params, each the gradient of the loss with
          respect to that parameter
        """
        W1, b1 = self.params['W1'], self.params['b1']
        W2, b2 = self.params['W2'], self.params['b2']
        N, D = X.shape

        scores = None
        # ================================================================ #
        # YOUR CODE HERE:
        #   Compute the class scores of X, of shape (N, C): no ReLU after
        #   the second layer. Mind the shapes of W1 and W2. No loops.
        # ================================================================ #
        pass
        # ================================================================ #
        # END YOUR CODE HERE
        # ================================================================ #

        if y is None:
            return scores

        loss = None
        # ================================================================ #
        # YOUR CODE HERE:
        #   The loss: the softmax loss averaged over the minibatch, plus
        #   the L2 regularization of W1 and W2 multiplied by 0.5 (as well
        #   as by reg). Store it in loss.
        # ================================================================ #
        pass
        # ================================================================ #
        # END YOUR CODE HERE
        # ================================================================ #

        grads = {}
        # ================================================================ #
        # YOUR CODE HERE:
        #   The backward pass: the gradients of the loss with respect to
        #   W1, b1, W2 and b2, each of the shape of its parameter, in
        #   grads['W1'], grads['b1'], ...
        # ================================================================ #
        pass
        # ================================================================ #
        # END YOUR CODE HERE
        # ================================================================ #

        return loss, grads

    def train(self, X, y, X_val, y_val, learning_rate=1e-3, learning_rate_decay=0.95, reg=1e-5,
              num_iters=100, batch_size=200, verbose=False):
        """
        Train the network with stochastic gradient descent.

        Inputs:
        - X: training data, of shape (N, D)
        - y: training labels, of shape (N,); y[i] = c means X[i] is of class c, 0 <= c < C
        - X_val: validation data, of shape (N_val, D)
        - y_val: validation labels, of shape (N_val,)
        - learning_rate: the step size
        - learning_rate_decay: the learning rate is multiplied by it after each epoch
        - reg: L2 regularization strength
        - num_iters: number of steps
        - batch_size: examples per step
        - verbose: print the loss every 100 steps

        Returns a dictionary of the loss of every step ('loss_history') and of the training and
        validation accuracies at the start of every epoch ('train_acc_history',
        'val_acc_history').
        """
        num_train = X.shape[0]
        iterations_per_epoch = max(num_train // batch_size, 1)

        loss_history = []
        train_acc_history = []
        val_acc_history = []

        for it in np.arange(num_iters):
            X_batch = None
            y_batch = None

            # ================================================================ #
            # YOUR CODE HERE:
            #   Draw a minibatch of batch_size random examples of X and their
            #   labels (with replacement is fine) into X_batch and y_batch.
            # ================================================================ #
            pass
            # ================================================================ #
            # END YOUR CODE HERE
            # ================================================================ #

            # loss and gradients on the minibatch
            loss, grads = self.loss(X_batch, y=y_batch, reg=reg)
            loss_history.append(loss)

            # ================================================================ #
            # YOUR CODE HERE:
            #   One gradient descent step on every parameter (W1, b1, W2, b2).
            # ================================================================ #
            pass
            # ================================================================ #
            # END YOUR CODE HERE
            # ================================================================ #

            if verbose and it % 100 == 0:
                print('iteration {} / {}: loss {}'.format(it, num_iters, loss))

            # once per epoch: accuracies, and the learning rate decays
            if it % iterations_per_epoch == 0:
                train_acc = (self.predict(X_batch) == y_batch).mean()
                val_acc = (self.predict(X_val) == y_val).mean()
                train_acc_history.append(train_acc)
                val_acc_history.append(val_acc)
                learning_rate *= learning_rate_decay

        return {
            'loss_history': loss_history,
            'train_acc_history': train_acc_history,
            'val_acc_history': val_acc_history,
        }

    def predict(self, X):
        """
        The predicted class of every example: the class of its highest score.

        Inputs:
        - X: data, of shape (N, D)

        Returns:
        - y_pred: predicted labels, of shape (N,); y_pred[i] = c means X[i] is predicted to be
          of class c, 0 <= c < C
        """
        y_pred = None

        # ================================================================ #
        # YOUR CODE HERE:
        #   Predict the class of every row of X.
        # ================================================================ #
        pass
        # ================================================================ #
        # END YOUR CODE HERE
        # ================================================================ #

        return y_pred
