"""Correct chapter 7 with fancy-index im2col (one gather of every window pixel at once) and an
Affine that flattens with x.reshape(len(x), -1).

Max pooling treats every channel as its own one-channel image, so each im2col row is exactly
one pooling window.
"""

from collections import OrderedDict

import numpy as np


def _geometry(input_shape, filter_h, filter_w, stride, pad):
    """Channel, row and column indices into the padded input, shaped (C*FH*FW, OH*OW)."""
    _, c, h, w = input_shape
    oh = (h + 2 * pad - filter_h) // stride + 1
    ow = (w + 2 * pad - filter_w) // stride + 1
    fy, fx = np.meshgrid(np.arange(filter_h), np.arange(filter_w), indexing='ij')
    oy, ox = np.meshgrid(np.arange(oh), np.arange(ow), indexing='ij')
    rows = np.tile(fy.ravel(), c)[:, None] + stride * oy.ravel()[None, :]
    cols = np.tile(fx.ravel(), c)[:, None] + stride * ox.ravel()[None, :]
    chans = np.repeat(np.arange(c), filter_h * filter_w)[:, None]
    return chans, rows, cols, oh * ow


def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    chans, rows, cols, positions = _geometry(input_data.shape, filter_h, filter_w, stride, pad)
    padded = np.pad(input_data, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant')
    gathered = padded[:, chans, rows, cols]  # (N, C*FH*FW, OH*OW)
    return gathered.transpose(0, 2, 1).reshape(len(input_data) * positions, -1)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    n, c, h, w = input_shape
    chans, rows, cols, positions = _geometry(input_shape, filter_h, filter_w, stride, pad)
    values = col.reshape(n, positions, -1).transpose(0, 2, 1)
    padded = np.zeros((n, c, h + 2 * pad, w + 2 * pad))
    np.add.at(padded, (slice(None), chans, rows, cols), values)
    return padded[:, :, pad:pad + h, pad:pad + w]


def softmax(x):
    x = x - x.max(axis=-1, keepdims=True)
    return np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True)


def cross_entropy_error(y, t):
    if y.ndim == 1:
        t, y = np.reshape(t, (1, -1)), y.reshape(1, -1)
    if t.shape == y.shape:
        t = np.argmax(t, axis=1)
    t = np.ravel(t)
    return -np.sum(np.log(y[np.arange(len(y)), t])) / len(y)


class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = x > 0
        return np.where(self.mask, x, np.zeros_like(x))

    def backward(self, dout):
        return dout * self.mask


class Affine:
    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.x = None
        self.x_shape = None
        self.dW = None
        self.db = None

    def forward(self, x):
        self.x_shape = x.shape
        self.x = x.reshape(len(x), -1)
        return np.matmul(self.x, self.W) + self.b

    def backward(self, dout):
        self.dW = np.matmul(self.x.T, dout)
        self.db = dout.sum(0)
        return np.matmul(dout, self.W.T).reshape(self.x_shape)


class SoftmaxWithLoss:
    def __init__(self):
        self.loss = None
        self.y = None
        self.t = None

    def forward(self, x, t):
        self.t = t if t.shape == x.shape else np.eye(x.shape[1])[t]
        m = x.max(axis=1, keepdims=True)
        log_y = x - m - np.log(np.exp(x - m).sum(axis=1, keepdims=True))
        self.y = np.exp(log_y)
        self.loss = -np.sum(self.t * log_y) / len(x)
        return self.loss

    def backward(self, dout=1):
        return dout * (self.y - self.t) / len(self.y)


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
        self.x = x
        self.col = im2col(x, fh, fw, self.stride, self.pad)
        out = np.matmul(self.col, self.W.reshape(fn, -1).T) + self.b  # (N*OH*OW, FN)
        oh = (x.shape[2] + 2 * self.pad - fh) // self.stride + 1
        ow = (x.shape[3] + 2 * self.pad - fw) // self.stride + 1
        return out.T.reshape(fn, len(x), oh, ow).transpose(1, 0, 2, 3)

    def backward(self, dout):
        fn = self.W.shape[0]
        g = dout.transpose(1, 0, 2, 3).reshape(fn, -1)  # (FN, N*OH*OW)
        self.db = g.sum(axis=1)
        self.dW = np.matmul(g, self.col).reshape(self.W.shape)
        dcol = np.matmul(g.T, self.W.reshape(fn, -1))
        return col2im(dcol, self.x.shape, *self.W.shape[2:], self.stride, self.pad)


class Pooling:
    def __init__(self, pool_h, pool_w, stride=2, pad=0):
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad
        self.x_shape = None
        self.arg_max = None

    def _one_channel_shape(self, shape):
        n, c, h, w = shape
        p = self.pad
        return (n * c, 1, h + 2 * p, w + 2 * p)

    def forward(self, x):
        n, c, h, w = x.shape
        p = self.pad
        padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
        rows = im2col(padded.reshape(self._one_channel_shape(x.shape)), self.pool_h,
                      self.pool_w, self.stride, 0)  # (N*C*OH*OW, PH*PW)
        self.x_shape = x.shape
        self.arg_max = rows.argmax(axis=1)
        oh = (h + 2 * p - self.pool_h) // self.stride + 1
        ow = (w + 2 * p - self.pool_w) // self.stride + 1
        return rows.max(axis=1).reshape(n, c, oh, ow)

    def backward(self, dout):
        n, c, h, w = self.x_shape
        p = self.pad
        drows = np.zeros((dout.size, self.pool_h * self.pool_w))
        drows[np.arange(dout.size), self.arg_max] = dout.ravel()
        dpadded = col2im(drows, self._one_channel_shape(self.x_shape), self.pool_h,
                         self.pool_w, self.stride, 0)
        return dpadded.reshape(n, c, h + 2 * p, w + 2 * p)[:, :, p:p + h, p:p + w]


class SimpleConvNet:
    """conv - relu - pool - affine - relu - affine - softmax"""

    def __init__(self, input_dim=(1, 28, 28),
                 conv_param={'filter_num': 30, 'filter_size': 5,  # noqa: B006 (the book's)
                             'pad': 0, 'stride': 1},
                 hidden_size=100, output_size=10, weight_init_std=0.01):
        fn, fs = conv_param['filter_num'], conv_param['filter_size']
        conv = [(n + 2 * conv_param['pad'] - fs) // conv_param['stride'] + 1
                for n in input_dim[1:]]
        sizes = [fn * (conv[0] // 2) * (conv[1] // 2), hidden_size, output_size]

        self.params = {'W1': weight_init_std * np.random.randn(fn, input_dim[0], fs, fs),
                       'b1': np.zeros(fn)}
        for i in (2, 3):
            self.params[f'W{i}'] = weight_init_std * np.random.randn(sizes[i - 2], sizes[i - 1])
            self.params[f'b{i}'] = np.zeros(sizes[i - 1])

        self.layers = OrderedDict()
        self.layers['Conv1'] = Convolution(self.params['W1'], self.params['b1'],
                                           conv_param['stride'], conv_param['pad'])
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
        return self.last_layer.forward(self.predict(x), t)

    def accuracy(self, x, t, batch_size=100):
        t = np.argmax(t, axis=1) if t.ndim > 1 else t
        batches = range(0, len(x), batch_size)
        hits = [np.sum(np.argmax(self.predict(x[i:i + batch_size]), axis=1) == t[i:i + batch_size])
                for i in batches]
        return float(np.sum(hits)) / len(x)

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.last_layer.backward(dout=1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        names = {'1': 'Conv1', '2': 'Affine1', '3': 'Affine2'}
        return {p + i: getattr(self.layers[layer], 'd' + p)
                for i, layer in names.items() for p in 'Wb'}
