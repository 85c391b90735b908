"""Correct chapter 7 that keeps the input's dtype: float32 in, float32 out.

Every buffer is allocated with the dtype of the array it holds (np.zeros(..., dtype=x.dtype)),
and im2col reads the windows through np.lib.stride_tricks.as_strided on the padded input.
"""

from collections import OrderedDict

import numpy as np
from numpy.lib.stride_tricks import as_strided


def conv_output_size(input_size, filter_size, stride=1, pad=0):
    return (input_size + 2 * pad - filter_size) // stride + 1


def _strided_windows(x, fh, fw, stride, pad, fill=0):
    """A read-only (N, C, OH, OW, FH, FW) view over a padded copy of x."""
    n, c, h, w = x.shape
    oh = conv_output_size(h, fh, stride, pad)
    ow = conv_output_size(w, fw, stride, pad)
    padded = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)], constant_values=fill)
    sn, sc, sh, sw = padded.strides
    return as_strided(padded, shape=(n, c, oh, ow, fh, fw),
                      strides=(sn, sc, sh * stride, sw * stride, sh, sw), writeable=False)


def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    win = _strided_windows(input_data, filter_h, filter_w, stride, pad)
    n, c, oh, ow = win.shape[:4]
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * filter_h * filter_w)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    n, c, h, w = input_shape
    oh = conv_output_size(h, filter_h, stride, pad)
    ow = conv_output_size(w, filter_w, stride, pad)
    blocks = col.reshape(n, oh, ow, c, filter_h, filter_w)
    img = np.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=col.dtype)
    last_y, last_x = stride * (oh - 1) + 1, stride * (ow - 1) + 1
    for fy in range(filter_h):
        for fx in range(filter_w):
            img[:, :, fy:fy + last_y:stride, fx:fx + last_x:stride] += \
                blocks[:, :, :, :, fy, fx].transpose(0, 3, 1, 2)
    return img[:, :, pad:pad + h, pad:pad + w]


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def _as_labels(t, y):
    return np.argmax(t, axis=-1) if np.size(t) == np.size(y) else np.asarray(t)


def cross_entropy_error(y, t):
    y2 = y.reshape(-1, y.shape[-1])
    labels = _as_labels(t, y).reshape(-1)
    picked = y2[np.arange(y2.shape[0]), labels]
    return y.dtype.type(-np.sum(np.log(picked)) / y2.shape[0])


class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, dout):
        return dout * self.mask


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
        return self.x @ self.W + self.b

    def backward(self, dout):
        dx = dout @ self.W.T
        self.dW = self.x.T @ dout
        self.db = np.sum(dout, axis=0)
        return dx.reshape(self.original_x_shape)


class SoftmaxWithLoss:
    def __init__(self):
        self.loss = None
        self.y = None
        self.t = None
        self.labels = None

    def forward(self, x, t):
        self.t = t
        self.labels = _as_labels(t, x)
        shifted = x - np.max(x, axis=1, keepdims=True)
        log_sum = np.log(np.sum(np.exp(shifted), axis=1))
        rows = np.arange(x.shape[0])
        self.y = softmax(x)
        self.loss = x.dtype.type(np.mean(log_sum - shifted[rows, self.labels]))
        return self.loss

    def backward(self, dout=1):
        n = self.y.shape[0]
        dx = self.y.copy()
        dx[np.arange(n), self.labels] -= 1
        return dx * self.y.dtype.type(dout / n)


class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W = W
        self.b = b
        self.stride = stride
        self.pad = pad
        self.x = None
        self.col = None
        self.col_W = None
        self.dW = None
        self.db = None

    def forward(self, x):
        FN, C, FH, FW = self.W.shape
        N, _, H, W = x.shape
        out_h = conv_output_size(H, FH, self.stride, self.pad)
        out_w = conv_output_size(W, FW, self.stride, self.pad)
        self.x = x
        self.col = im2col(x, FH, FW, self.stride, self.pad)
        self.col_W = self.W.reshape(FN, -1).T
        out = self.col @ self.col_W + self.b
        return out.reshape(N, out_h, out_w, FN).transpose(0, 3, 1, 2)

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.db = np.sum(dout, axis=0)
        self.dW = (self.col.T @ dout).T.reshape(FN, C, FH, FW)
        dcol = dout @ self.col_W.T
        return col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)


class Pooling:
    def __init__(self, pool_h, pool_w, stride=2, pad=0):
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad
        self.x = None
        self.arg_max = None

    def forward(self, x):
        win = _strided_windows(x, self.pool_h, self.pool_w, self.stride, self.pad,
                               fill=-np.inf)
        n, c, oh, ow = win.shape[:4]
        flat = win.reshape(n, c, oh, ow, self.pool_h * self.pool_w)
        self.x = x
        self.arg_max = np.argmax(flat, axis=4)
        return np.max(flat, axis=4)

    def backward(self, dout):
        n, c, oh, ow = dout.shape
        dmax = np.zeros((n, oh, ow, c, self.pool_h * self.pool_w), dtype=dout.dtype)
        np.put_along_axis(dmax, self.arg_max.transpose(0, 2, 3, 1)[..., None],
                          dout.transpose(0, 2, 3, 1)[..., None], axis=4)
        dcol = dmax.reshape(n * oh * ow, -1)
        return col2im(dcol, self.x.shape, self.pool_h, self.pool_w, self.stride, self.pad)


class SimpleConvNet:
    """conv - relu - pool - affine - relu - affine - softmax"""

    def __init__(self, input_dim=(1, 28, 28),
                 conv_param={'filter_num': 30, 'filter_size': 5,  # noqa: B006 (the book's)
                             'pad': 0, 'stride': 1},
                 hidden_size=100, output_size=10, weight_init_std=0.01):
        filter_num = conv_param['filter_num']
        filter_size = conv_param['filter_size']
        stride, pad = conv_param['stride'], conv_param['pad']
        channels, height, width = input_dim
        conv_h = conv_output_size(height, filter_size, stride, pad)
        conv_w = conv_output_size(width, filter_size, stride, pad)
        pool_output_size = filter_num * (conv_h // 2) * (conv_w // 2)

        rand = np.random.randn
        self.params = {
            'W1': weight_init_std * rand(filter_num, channels, filter_size, filter_size),
            'b1': np.zeros(filter_num),
            'W2': weight_init_std * rand(pool_output_size, hidden_size),
            'b2': np.zeros(hidden_size),
            'W3': weight_init_std * rand(hidden_size, output_size),
            'b3': np.zeros(output_size),
        }
        self.layers = OrderedDict()
        for name, layer in [
            ('Conv1', Convolution(self.params['W1'], self.params['b1'], stride, pad)),
            ('Relu1', Relu()),
            ('Pool1', Pooling(pool_h=2, pool_w=2, stride=2)),
            ('Affine1', Affine(self.params['W2'], self.params['b2'])),
            ('Relu2', Relu()),
            ('Affine2', Affine(self.params['W3'], self.params['b3'])),
        ]:
            self.layers[name] = layer
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
        correct = 0
        for start in range(0, x.shape[0], batch_size):
            y = self.predict(x[start:start + batch_size])
            correct += int(np.sum(np.argmax(y, axis=1) == t[start:start + batch_size]))
        return correct / x.shape[0]

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        for key in reversed(self.layers):
            dout = self.layers[key].backward(dout)
        return {
            'W1': self.layers['Conv1'].dW, 'b1': self.layers['Conv1'].db,
            'W2': self.layers['Affine1'].dW, 'b2': self.layers['Affine1'].db,
            'W3': self.layers['Affine2'].dW, 'b3': self.layers['Affine2'].db,
        }
