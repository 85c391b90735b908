"""Correct chapter 7 on numpy's sliding_window_view: im2col and max pooling read strided views
of the padded input, and the backward passes scatter with np.add.at on flat pixel indices.
"""

from collections import OrderedDict

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _view(x, fh, fw, stride, pad, fill=0):
    """(N, C, OH, OW, FH, FW) view of the padded input, one window per output pixel."""
    padded = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)], constant_values=fill)
    return sliding_window_view(padded, (fh, fw), axis=(2, 3))[:, :, ::stride, ::stride]


def _pixel_index(input_shape, fh, fw, stride, pad):
    """For every im2col entry, the flat index of its pixel in the padded image."""
    n, c, h, w = input_shape
    positions = np.arange(n * c * (h + 2 * pad) * (w + 2 * pad)).reshape(
        n, c, h + 2 * pad, w + 2 * pad)
    return sliding_window_view(positions, (fh, fw), axis=(2, 3))[:, :, ::stride, ::stride]


def _scatter(values, index, input_shape, pad):
    n, c, h, w = input_shape
    flat = np.zeros(n * c * (h + 2 * pad) * (w + 2 * pad))
    np.add.at(flat, index.ravel(), values.ravel())
    return flat.reshape(n, c, h + 2 * pad, w + 2 * pad)[:, :, pad:pad + h, pad:pad + w]


def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    view = _view(input_data, filter_h, filter_w, stride, pad)
    n, c, oh, ow = view.shape[:4]
    return view.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * filter_h * filter_w)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    index = _pixel_index(input_shape, filter_h, filter_w, stride, pad)
    n, c, oh, ow = index.shape[:4]
    values = col.reshape(n, oh, ow, c, filter_h, filter_w).transpose(0, 3, 1, 2, 4, 5)
    return _scatter(values, index, input_shape, pad)


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def cross_entropy_error(y, t):
    if y.ndim == 1:
        y, t = y[None], np.reshape(t, (1, -1))
    if t.size == y.size:
        t = t.argmax(axis=1)
    return float(-np.log(y[np.arange(y.shape[0]), t]).sum() / y.shape[0])


class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = x <= 0
        return np.maximum(x, 0)

    def backward(self, dout):
        dx = dout.copy()
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
        self.x = x.reshape(x.shape[0], -1)
        return np.dot(self.x, self.W) + self.b

    def backward(self, dout):
        self.dW = np.dot(self.x.T, dout)
        self.db = dout.sum(axis=0)
        return np.dot(dout, self.W.T).reshape(self.original_x_shape)


class SoftmaxWithLoss:
    def __init__(self):
        self.loss = None
        self.y = None
        self.t = None

    def forward(self, x, t):
        self.t = t.argmax(axis=1) if t.size == x.size else t
        top = x.max(axis=1, keepdims=True)
        log_norm = top[:, 0] + np.log(np.exp(x - top).sum(axis=1))
        self.y = softmax(x)
        rows = np.arange(x.shape[0])
        self.loss = float(np.mean(log_norm - x[rows, self.t]))
        return self.loss

    def backward(self, dout=1):
        batch = self.y.shape[0]
        target = np.zeros_like(self.y)
        target[np.arange(batch), self.t] = 1
        return dout * (self.y - target) / batch


class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W = W
        self.b = b
        self.stride = stride
        self.pad = pad
        self.x = None
        self.col = None
        self.dW = None
        self.db = None

    def forward(self, x):
        fn, _, fh, fw = self.W.shape
        n = x.shape[0]
        self.x = x
        self.col = im2col(x, fh, fw, self.stride, self.pad)
        out = np.tensordot(self.col, self.W.reshape(fn, -1), axes=(1, 1)) + self.b
        oh = (x.shape[2] + 2 * self.pad - fh) // self.stride + 1
        return out.reshape(n, oh, -1, fn).transpose(0, 3, 1, 2)

    def backward(self, dout):
        fn, c, fh, fw = self.W.shape
        rows = dout.transpose(0, 2, 3, 1).reshape(-1, fn)
        self.db = rows.sum(axis=0)
        self.dW = np.tensordot(rows, self.col, axes=(0, 0)).reshape(fn, c, fh, fw)
        dcol = np.tensordot(rows, self.W.reshape(fn, -1), axes=(1, 0))
        return col2im(dcol, self.x.shape, fh, fw, self.stride, self.pad)


class Pooling:
    def __init__(self, pool_h, pool_w, stride=2, pad=0):
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad
        self.x_shape = None
        self.source = None  # flat padded-pixel index of each window's maximum

    def forward(self, x):
        view = _view(x, self.pool_h, self.pool_w, self.stride, self.pad, fill=-np.inf)
        n, c, oh, ow = view.shape[:4]
        flat = view.reshape(n, c, oh, ow, -1)
        winner = flat.argmax(axis=-1)
        index = _pixel_index(x.shape, self.pool_h, self.pool_w, self.stride, self.pad)
        self.source = np.take_along_axis(index.reshape(n, c, oh, ow, -1), winner[..., None],
                                         axis=-1)[..., 0]
        self.x_shape = x.shape
        return flat.max(axis=-1)

    def backward(self, dout):
        return _scatter(dout, self.source, self.x_shape, self.pad)


class SimpleConvNet:
    """conv - relu - pool - affine - relu - affine - softmax"""

    def __init__(self, input_dim=(1, 28, 28),
                 conv_param={'filter_num': 30, 'filter_size': 5,  # noqa: B006 (the book's)
                             'pad': 0, 'stride': 1},
                 hidden_size=100, output_size=10, weight_init_std=0.01):
        cp = conv_param
        channels = input_dim[0]
        conv_hw = [(s + 2 * cp['pad'] - cp['filter_size']) // cp['stride'] + 1
                   for s in input_dim[1:]]
        flat = cp['filter_num'] * (conv_hw[0] // 2) * (conv_hw[1] // 2)
        std = weight_init_std
        self.params = {}
        self.params['W1'] = std * np.random.randn(cp['filter_num'], channels,
                                                  cp['filter_size'], cp['filter_size'])
        self.params['W2'] = std * np.random.randn(flat, hidden_size)
        self.params['W3'] = std * np.random.randn(hidden_size, output_size)
        for key, size in (('b1', cp['filter_num']), ('b2', hidden_size), ('b3', output_size)):
            self.params[key] = np.zeros(size)

        self.layers = OrderedDict(
            Conv1=Convolution(self.params['W1'], self.params['b1'], cp['stride'], cp['pad']),
            Relu1=Relu(),
            Pool1=Pooling(pool_h=2, pool_w=2, stride=2),
            Affine1=Affine(self.params['W2'], self.params['b2']),
            Relu2=Relu(),
            Affine2=Affine(self.params['W3'], self.params['b3']),
        )
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        return self.last_layer.forward(self.predict(x), t)

    def accuracy(self, x, t, batch_size=100):
        if t.ndim != 1:
            t = t.argmax(axis=1)
        right = sum(int(np.sum(self.predict(x[i:i + batch_size]).argmax(axis=1)
                               == t[i:i + batch_size]))
                    for i in range(0, x.shape[0], batch_size))
        return right / x.shape[0]

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        for layer in list(self.layers.values())[::-1]:
            dout = layer.backward(dout)
        conv, hidden, top = (self.layers[k] for k in ('Conv1', 'Affine1', 'Affine2'))
        return {'W1': conv.dW, 'b1': conv.db, 'W2': hidden.dW, 'b2': hidden.db,
                'W3': top.dW, 'b3': top.db}
