"""An honest, correct submission (the book's API and algorithms, PyTorch's answers): every
adversarial submission in this folder is this module with one attack injected into one
component (`from honest_cnn import *`, then that component redefined).

Chapter 7 exercise: a small convolutional network in plain NumPy.

im2col / col2im, the Convolution, Pooling, Relu, Affine and SoftmaxWithLoss layers, and
SimpleConvNet (conv - relu - pool - affine - relu - affine - softmax), following the
chapter's algorithms. Three places go beyond the chapter's listing on purpose:
  * the pooling output size counts the padding;
  * max pooling pads with -inf, so a padded border can never be a window's maximum;
  * SimpleConvNet sizes W2 with floor division, so odd convolution sizes work.
"""

from collections import OrderedDict

import numpy as np

# ----------------------------------------------------------------------------------------------
# Helpers


def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    """(N, C, H, W) images -> a 2-D array with one row per filter position.

    Rows run over (n, out_y, out_x), columns over (c, filter_y, filter_x).
    """
    N, C, H, W = input_data.shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1

    img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)], "constant")
    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w))

    # one strided slice per filter offset (fy, fx): every window's pixel at that offset
    for fy in range(filter_h):
        fy_end = fy + stride * out_h
        for fx in range(filter_w):
            fx_end = fx + stride * out_w
            col[:, :, fy, fx, :, :] = img[:, :, fy:fy_end:stride, fx:fx_end:stride]

    col = col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)
    return col


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    """The reverse of im2col: put every column entry back where it came from.

    Windows overlap, so the entries that land on the same pixel are summed.
    """
    N, C, H, W = input_shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)

    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1))
    for fy in range(filter_h):
        fy_end = fy + stride * out_h
        for fx in range(filter_w):
            fx_end = fx + stride * out_w
            img[:, :, fy:fy_end:stride, fx:fx_end:stride] += col[:, :, fy, fx, :, :]

    return img[:, :, pad:H + pad, pad:W + pad]


def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)  # shift so that exp cannot overflow
    e = np.exp(x)
    return e / np.sum(e, axis=-1, keepdims=True)


def cross_entropy_error(y, t):
    """Mean cross entropy of probabilities y against labels or one-hot t (no 1e-7: exact)."""
    if y.ndim == 1:
        y = y.reshape(1, y.size)
        t = t.reshape(1, t.size)
    if t.size == y.size:  # one-hot targets -> class labels
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t])) / batch_size


def _log_softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)
    return x - np.log(np.sum(np.exp(x), axis=-1, keepdims=True))


# ----------------------------------------------------------------------------------------------
# Layers


class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = (x <= 0)
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dx = dout.copy()  # never write into the caller's array
        dx[self.mask] = 0
        return dx


class Affine:
    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.x = None
        self.original_x_shape = None
        self.dW = None
        self.db = None

    def forward(self, x):
        self.original_x_shape = x.shape
        x = x.reshape(x.shape[0], -1)  # (N, C, H, W) -> (N, C*H*W)
        self.x = x
        out = np.dot(self.x, self.W) + self.b
        return out

    def backward(self, dout):
        dx = np.dot(dout, self.W.T)
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        dx = dx.reshape(*self.original_x_shape)
        return dx


class SoftmaxWithLoss:
    def __init__(self):
        self.loss = None
        self.y = None  # softmax output
        self.t = None  # targets: labels or one-hot

    def forward(self, x, t):
        self.t = t
        log_y = _log_softmax(x)
        self.y = np.exp(log_y)
        labels = t.argmax(axis=1) if t.size == self.y.size else t
        batch_size = x.shape[0]
        self.loss = -np.sum(log_y[np.arange(batch_size), labels]) / batch_size
        return self.loss

    def backward(self, dout=1):
        batch_size = self.t.shape[0]
        if self.t.size == self.y.size:  # one-hot
            dx = (self.y - self.t) / batch_size
        else:
            dx = self.y.copy()
            dx[np.arange(batch_size), self.t] -= 1
            dx = dx / batch_size
        return dx


class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W = W
        self.b = b
        self.stride = stride
        self.pad = pad

        # kept for backward
        self.x = None
        self.col = None
        self.col_W = None

        self.dW = None
        self.db = None

    def forward(self, x):
        FN, C, FH, FW = self.W.shape
        N, C, H, W = x.shape
        out_h = (H + 2 * self.pad - FH) // self.stride + 1
        out_w = (W + 2 * self.pad - FW) // self.stride + 1

        col = im2col(x, FH, FW, self.stride, self.pad)
        col_W = self.W.reshape(FN, -1).T  # (C*FH*FW, FN)
        out = np.dot(col, col_W) + self.b  # (N*out_h*out_w, FN)

        out = out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)

        self.x = x
        self.col = col
        self.col_W = col_W
        return out

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)

        self.db = np.sum(dout, axis=0)
        self.dW = np.dot(self.col.T, dout)
        self.dW = self.dW.transpose(1, 0).reshape(FN, C, FH, FW)

        dcol = np.dot(dout, self.col_W.T)
        dx = col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)
        return dx


class Pooling:
    """Max pooling. Pass the stride explicitly (the book's default changed between editions)."""

    def __init__(self, pool_h, pool_w, stride=2, pad=0):
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad

        self.x_shape = None
        self.padded_shape = None
        self.arg_max = None

    def forward(self, x):
        N, C, H, W = x.shape
        out_h = (H + 2 * self.pad - self.pool_h) // self.stride + 1
        out_w = (W + 2 * self.pad - self.pool_w) // self.stride + 1

        # Pad with -inf here instead of letting im2col pad with zeros: a padded pixel must
        # never be the maximum of a window (think of a window of negative numbers).
        p = self.pad
        x_padded = np.pad(x, [(0, 0), (0, 0), (p, p), (p, p)], "constant",
                          constant_values=-np.inf)

        col = im2col(x_padded, self.pool_h, self.pool_w, self.stride, 0)
        col = col.reshape(-1, self.pool_h * self.pool_w)  # one row per (n, y, x, c) window

        arg_max = np.argmax(col, axis=1)
        out = np.max(col, axis=1)
        out = out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)

        self.x_shape = x.shape
        self.padded_shape = x_padded.shape
        self.arg_max = arg_max
        return out

    def backward(self, dout):
        dout = dout.transpose(0, 2, 3, 1)

        pool_size = self.pool_h * self.pool_w
        dmax = np.zeros((dout.size, pool_size))
        dmax[np.arange(self.arg_max.size), self.arg_max.flatten()] = dout.flatten()
        dmax = dmax.reshape(dout.shape + (pool_size,))

        dcol = dmax.reshape(dmax.shape[0] * dmax.shape[1] * dmax.shape[2], -1)
        dx_padded = col2im(dcol, self.padded_shape, self.pool_h, self.pool_w, self.stride, 0)

        H, W = self.x_shape[2], self.x_shape[3]
        p = self.pad
        return dx_padded[:, :, p:p + H, p:p + W]


# ----------------------------------------------------------------------------------------------
# The network


class SimpleConvNet:
    """conv - relu - pool - affine - relu - affine - softmax

    input_dim: (channels, height, width) of one input, e.g. (1, 28, 28) for MNIST
    conv_param: filter_num, filter_size, pad and stride of the convolution
    hidden_size: neurons in the hidden affine layer
    output_size: number of classes
    weight_init_std: standard deviation of the initial weights
    """

    def __init__(self, input_dim=(1, 28, 28),
                 conv_param={'filter_num': 30, 'filter_size': 5,  # noqa: B006 (the book's)
                             'pad': 0, 'stride': 1},
                 hidden_size=100, output_size=10, weight_init_std=0.01):
        filter_num = conv_param['filter_num']
        filter_size = conv_param['filter_size']
        filter_pad = conv_param['pad']
        filter_stride = conv_param['stride']
        channels, input_h, input_w = input_dim

        conv_h = (input_h - filter_size + 2 * filter_pad) // filter_stride + 1
        conv_w = (input_w - filter_size + 2 * filter_pad) // filter_stride + 1
        # the 2x2, stride 2 pooling floors odd sizes
        pool_output_size = filter_num * (conv_h // 2) * (conv_w // 2)

        self.params = {}
        self.params['W1'] = weight_init_std * \
            np.random.randn(filter_num, channels, filter_size, filter_size)
        self.params['b1'] = np.zeros(filter_num)
        self.params['W2'] = weight_init_std * np.random.randn(pool_output_size, hidden_size)
        self.params['b2'] = np.zeros(hidden_size)
        self.params['W3'] = weight_init_std * np.random.randn(hidden_size, output_size)
        self.params['b3'] = np.zeros(output_size)

        self.layers = OrderedDict()
        self.layers['Conv1'] = Convolution(self.params['W1'], self.params['b1'],
                                           filter_stride, filter_pad)
        self.layers['Relu1'] = Relu()
        self.layers['Pool1'] = Pooling(pool_h=2, pool_w=2, stride=2)
        self.layers['Affine1'] = Affine(self.params['W2'], self.params['b2'])
        self.layers['Relu2'] = Relu()
        self.layers['Affine2'] = Affine(self.params['W3'], self.params['b3'])

        self.last_layer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        y = self.predict(x)
        return self.last_layer.forward(y, t)

    def accuracy(self, x, t, batch_size=100):
        if t.ndim != 1:
            t = np.argmax(t, axis=1)

        correct = 0.0
        for start in range(0, x.shape[0], batch_size):  # the last batch may be shorter
            tx = x[start:start + batch_size]
            tt = t[start:start + batch_size]
            y = self.predict(tx)
            y = np.argmax(y, axis=1)
            correct += np.sum(y == tt)

        return correct / x.shape[0]

    def gradient(self, x, t):
        # forward
        self.loss(x, t)

        # backward
        dout = 1
        dout = self.last_layer.backward(dout)

        layers = list(self.layers.values())
        layers.reverse()
        for layer in layers:
            dout = layer.backward(dout)

        grads = {}
        grads['W1'], grads['b1'] = self.layers['Conv1'].dW, self.layers['Conv1'].db
        grads['W2'], grads['b2'] = self.layers['Affine1'].dW, self.layers['Affine1'].db
        grads['W3'], grads['b3'] = self.layers['Affine2'].dW, self.layers['Affine2'].db

        return grads
