"""Correct chapter 7, written with plain loops over the output positions.

Every window is visited once: im2col copies it into its row, col2im adds it back, and the
convolution and max pooling compute each output pixel from its window directly.
"""

from collections import OrderedDict

import numpy as np


def _out(size, kernel, stride, pad):
    return (size + 2 * pad - kernel) // stride + 1


def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    n, c, h, w = input_data.shape
    oh, ow = _out(h, filter_h, stride, pad), _out(w, filter_w, stride, pad)
    padded = np.pad(input_data, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    rows = np.empty((n, oh, ow, c * filter_h * filter_w), dtype=float)
    for i in range(oh):
        top = i * stride
        for j in range(ow):
            left = j * stride
            window = padded[:, :, top:top + filter_h, left:left + filter_w]
            rows[:, i, j, :] = window.reshape(n, -1)
    return rows.reshape(n * oh * ow, -1)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    n, c, h, w = input_shape
    oh, ow = _out(h, filter_h, stride, pad), _out(w, filter_w, stride, pad)
    rows = col.reshape(n, oh, ow, c, filter_h, filter_w)
    padded = np.zeros((n, c, h + 2 * pad, w + 2 * pad))
    for i in range(oh):
        top = i * stride
        for j in range(ow):
            left = j * stride
            padded[:, :, top:top + filter_h, left:left + filter_w] += rows[:, i, j]
    return padded[:, :, pad:pad + h, pad:pad + w]


def softmax(x):
    z = x - x.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _labels(t, classes):
    t = np.asarray(t)
    return t.argmax(axis=-1) if t.ndim == 2 and t.shape[-1] == classes else t


def cross_entropy_error(y, t):
    y = np.atleast_2d(y)
    labels = np.atleast_1d(_labels(t, y.shape[-1]))
    picked = y[np.arange(len(y)), labels]
    return -np.mean(np.log(picked))


class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = x > 0
        return np.where(self.mask, x, 0.0)

    def backward(self, dout):
        return np.where(self.mask, dout, 0.0)


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
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return (dout @ self.W.T).reshape(self.x_shape)


class SoftmaxWithLoss:
    def __init__(self):
        self.loss = None
        self.y = None
        self.t = None

    def forward(self, x, t):
        self.t = _labels(t, x.shape[-1])
        shifted = x - x.max(axis=1, keepdims=True)
        log_y = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self.y = np.exp(log_y)
        self.loss = -log_y[np.arange(len(x)), self.t].mean()
        return self.loss

    def backward(self, dout=1):
        dx = self.y.copy()
        for row, label in enumerate(self.t):
            dx[row, label] -= 1.0
        return dx * (dout / len(dx))


class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W = W
        self.b = b
        self.stride = stride
        self.pad = pad
        self.x = None
        self.dW = None
        self.db = None

    def _windows(self, padded, out_h, out_w):
        fh, fw = self.W.shape[2:]
        for i in range(out_h):
            for j in range(out_w):
                top, left = i * self.stride, j * self.stride
                yield i, j, (slice(None), slice(None), slice(top, top + fh),
                             slice(left, left + fw))

    def forward(self, x):
        self.x = x
        fn, _, fh, fw = self.W.shape
        n, _, h, w = x.shape
        out_h, out_w = _out(h, fh, self.stride, self.pad), _out(w, fw, self.stride, self.pad)
        p = self.pad
        padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        out = np.empty((n, fn, out_h, out_w))
        for i, j, window in self._windows(padded, out_h, out_w):
            out[:, :, i, j] = np.tensordot(padded[window], self.W, axes=([1, 2, 3], [1, 2, 3]))
        return out + self.b[None, :, None, None]

    def backward(self, dout):
        p = self.pad
        padded = np.pad(self.x, ((0, 0), (0, 0), (p, p), (p, p)))
        dpadded = np.zeros(padded.shape)
        self.dW = np.zeros(self.W.shape)
        for i, j, window in self._windows(padded, dout.shape[2], dout.shape[3]):
            g = dout[:, :, i, j]  # (N, FN)
            self.dW += np.tensordot(g, padded[window], axes=([0], [0]))
            dpadded[window] += np.tensordot(g, self.W, axes=([1], [0]))
        self.db = dout.sum(axis=(0, 2, 3))
        h, w = self.x.shape[2:]
        return dpadded[:, :, p:p + h, p:p + w]


class Pooling:
    def __init__(self, pool_h, pool_w, stride=2, pad=0):
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad
        self.x_shape = None
        self.winners = None

    def forward(self, x):
        n, c, h, w = x.shape
        ph, pw, s, p = self.pool_h, self.pool_w, self.stride, self.pad
        out_h, out_w = _out(h, ph, s, p), _out(w, pw, s, p)
        padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
        out = np.empty((n, c, out_h, out_w))
        self.winners = np.empty((n, c, out_h, out_w), dtype=int)
        for i in range(out_h):
            for j in range(out_w):
                window = padded[:, :, i * s:i * s + ph, j * s:j * s + pw].reshape(n, c, -1)
                self.winners[:, :, i, j] = window.argmax(axis=2)
                out[:, :, i, j] = window.max(axis=2)
        self.x_shape = x.shape
        return out

    def backward(self, dout):
        n, c, h, w = self.x_shape
        ph, pw, s, p = self.pool_h, self.pool_w, self.stride, self.pad
        dpadded = np.zeros((n, c, h + 2 * p, w + 2 * p))
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                window = np.zeros((n, c, ph * pw))
                np.put_along_axis(window, self.winners[:, :, i, j, None], dout[:, :, i, j, None],
                                  axis=2)
                dpadded[:, :, i * s:i * s + ph, j * s:j * s + pw] += window.reshape(n, c, ph, pw)
        return dpadded[:, :, p:p + h, p:p + w]


class SimpleConvNet:
    """conv - relu - pool - affine - relu - affine - softmax"""

    def __init__(self, input_dim=(1, 28, 28),
                 conv_param={'filter_num': 30, 'filter_size': 5,  # noqa: B006 (the book's)
                             'pad': 0, 'stride': 1},
                 hidden_size=100, output_size=10, weight_init_std=0.01):
        fn, fs = conv_param['filter_num'], conv_param['filter_size']
        pad, stride = conv_param['pad'], conv_param['stride']
        c, h, w = input_dim
        pooled = fn * (_out(h, fs, stride, pad) // 2) * (_out(w, fs, stride, pad) // 2)

        def draw(*shape):
            return weight_init_std * np.random.randn(*shape)

        self.params = {'W1': draw(fn, c, fs, fs), 'b1': np.zeros(fn),
                       'W2': draw(pooled, hidden_size), 'b2': np.zeros(hidden_size),
                       'W3': draw(hidden_size, output_size), 'b3': np.zeros(output_size)}
        self.layers = OrderedDict([
            ('Conv1', Convolution(self.params['W1'], self.params['b1'], stride, pad)),
            ('Relu1', Relu()),
            ('Pool1', Pooling(2, 2, stride=2)),
            ('Affine1', Affine(self.params['W2'], self.params['b2'])),
            ('Relu2', Relu()),
            ('Affine2', Affine(self.params['W3'], self.params['b3'])),
        ])
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        return self.last_layer.forward(self.predict(x), t)

    def accuracy(self, x, t, batch_size=100):
        labels = _labels(t, self.params['b3'].size)
        hits = 0
        for start in range(0, len(x), batch_size):
            scores = self.predict(x[start:start + batch_size])
            hits += int((scores.argmax(axis=1) == labels[start:start + batch_size]).sum())
        return hits / len(x)

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)
        owners = {'1': 'Conv1', '2': 'Affine1', '3': 'Affine2'}
        return {name + i: getattr(self.layers[layer], 'd' + name)
                for i, layer in owners.items() for name in ('W', 'b')}
