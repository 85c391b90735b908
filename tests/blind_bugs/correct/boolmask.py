"""Correct chapter 7 with boolean-mask max pooling.

Pooling keeps, for every window, a boolean mask of the pixel that won: the window's values equal
to its maximum, narrowed to the first of them (a running count equal to 1), so ties go to the
first maximum as in torch. Backward multiplies the mask by dout and adds it back.
"""

from collections import OrderedDict

import numpy as np


def _size(n, k, s, p):
    return (n + 2 * p - k) // s + 1


def _patches(x, kh, kw, s, p, fill=0.0):
    """(N, OH, OW, C, KH, KW): the windows of the padded input."""
    n, c, h, w = x.shape
    oh, ow = _size(h, kh, s, p), _size(w, kw, s, p)
    padded = np.full((n, c, h + 2 * p, w + 2 * p), fill)
    padded[:, :, p:p + h, p:p + w] = x
    patches = np.zeros((n, oh, ow, c, kh, kw))
    for dy in range(kh):
        for dx in range(kw):
            part = padded[:, :, dy:dy + s * (oh - 1) + 1:s, dx:dx + s * (ow - 1) + 1:s]
            patches[..., dy, dx] = part.transpose(0, 2, 3, 1)
    return patches


def _unpatch(patches, shape, s, p):
    """Adds (N, OH, OW, C, KH, KW) windows back into an (N, C, H, W) image."""
    n, c, h, w = shape
    _, oh, ow, _, kh, kw = patches.shape
    padded = np.zeros((n, c, h + 2 * p, w + 2 * p))
    for dy in range(kh):
        for dx in range(kw):
            rows = slice(dy, dy + s * (oh - 1) + 1, s)
            cols = slice(dx, dx + s * (ow - 1) + 1, s)
            padded[:, :, rows, cols] += patches[..., dy, dx].transpose(0, 3, 1, 2)
    return padded[:, :, p:p + h, p:p + w]


def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    patches = _patches(input_data, filter_h, filter_w, stride, pad)
    n, oh, ow = patches.shape[:3]
    return patches.reshape(n * oh * ow, -1)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    n, c, h, w = input_shape
    oh, ow = _size(h, filter_h, stride, pad), _size(w, filter_w, stride, pad)
    patches = col.reshape(n, oh, ow, c, filter_h, filter_w)
    return _unpatch(patches, input_shape, stride, pad)


def softmax(x):
    shifted = x - np.amax(x, axis=-1, keepdims=True)
    return np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True)


def cross_entropy_error(y, t):
    y = y.reshape(-1, y.shape[-1])
    t = np.asarray(t).reshape(len(y), -1)
    labels = t.argmax(axis=1) if t.shape[1] == y.shape[1] else t[:, 0]
    return -np.log(y[np.arange(len(y)), labels]).mean()


class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        return np.where(self.mask, 0, dout)


class Affine:
    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.x = None
        self.shape = None
        self.dW = None
        self.db = None

    def forward(self, x):
        self.shape = x.shape
        self.x = x.reshape(x.shape[0], int(np.prod(x.shape[1:])))
        return self.x.dot(self.W) + self.b

    def backward(self, dout):
        self.dW = self.x.T.dot(dout)
        self.db = np.add.reduce(dout, axis=0)
        return dout.dot(self.W.T).reshape(self.shape)


class SoftmaxWithLoss:
    def __init__(self):
        self.loss = None
        self.y = None
        self.t = None

    def forward(self, x, t):
        self.t = t
        z = x - x.max(axis=1, keepdims=True)
        log_y = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        self.y = np.exp(log_y)
        if t.size == x.size:
            self.loss = -(t * log_y).sum() / x.shape[0]
        else:
            self.loss = -log_y[np.arange(x.shape[0]), t].sum() / x.shape[0]
        return self.loss

    def backward(self, dout=1):
        n = self.y.shape[0]
        if self.t.size == self.y.size:
            grad = self.y - self.t
        else:
            grad = self.y.copy()
            np.subtract.at(grad, (np.arange(n), self.t), 1.0)
        return grad * (dout / n)


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
        fn, _, fh, fw = self.W.shape
        n, _, h, w = x.shape
        oh, ow = _size(h, fh, self.stride, self.pad), _size(w, fw, self.stride, self.pad)
        self.x = x
        self.col = im2col(x, fh, fw, self.stride, self.pad)
        self.col_W = self.W.reshape(fn, -1).T
        out = self.col @ self.col_W + self.b
        return np.moveaxis(out.reshape(n, oh, ow, fn), 3, 1)

    def backward(self, dout):
        fn, c, fh, fw = self.W.shape
        dout = np.moveaxis(dout, 1, 3).reshape(-1, fn)
        self.db = dout.sum(axis=0)
        self.dW = (dout.T @ self.col).reshape(fn, c, fh, fw)
        dcol = dout @ self.col_W.T
        return col2im(dcol, self.x.shape, fh, fw, self.stride, self.pad)


class Pooling:
    def __init__(self, pool_h, pool_w, stride=2, pad=0):
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad
        self.x_shape = None
        self.mask = None

    def forward(self, x):
        patches = _patches(x, self.pool_h, self.pool_w, self.stride, self.pad, fill=-np.inf)
        n, oh, ow, c = patches.shape[:4]
        windows = patches.reshape(n, oh, ow, c, -1)
        best = windows.max(axis=-1)
        is_max = windows == best[..., None]
        self.mask = is_max & (np.cumsum(is_max, axis=-1) == 1)  # the first maximum only
        self.x_shape = x.shape
        return best.transpose(0, 3, 1, 2)

    def backward(self, dout):
        routed = self.mask * dout.transpose(0, 2, 3, 1)[..., None]
        patches = routed.reshape(self.mask.shape[:4] + (self.pool_h, self.pool_w))
        return _unpatch(patches, self.x_shape, self.stride, self.pad)


class SimpleConvNet:
    """conv - relu - pool - affine - relu - affine - softmax"""

    def __init__(self, input_dim=(1, 28, 28),
                 conv_param={'filter_num': 30, 'filter_size': 5,  # noqa: B006 (the book's)
                             'pad': 0, 'stride': 1},
                 hidden_size=100, output_size=10, weight_init_std=0.01):
        k = conv_param['filter_size']
        s, p = conv_param['stride'], conv_param['pad']
        fn = conv_param['filter_num']
        pooled_h = _size(input_dim[1], k, s, p) // 2
        pooled_w = _size(input_dim[2], k, s, p) // 2

        self.params = dict(
            W1=weight_init_std * np.random.randn(fn, input_dim[0], k, k),
            b1=np.zeros(fn),
            W2=weight_init_std * np.random.randn(fn * pooled_h * pooled_w, hidden_size),
            b2=np.zeros(hidden_size),
            W3=weight_init_std * np.random.randn(hidden_size, output_size),
            b3=np.zeros(output_size),
        )
        self.layers = OrderedDict()
        self.layers['Conv1'] = Convolution(self.params['W1'], self.params['b1'], s, p)
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
        labels = np.argmax(t, axis=1) if np.ndim(t) == 2 else t
        correct = 0
        for i in range(int(np.ceil(len(x) / batch_size))):
            part = slice(i * batch_size, (i + 1) * batch_size)
            correct += np.count_nonzero(np.argmax(self.predict(x[part]), axis=1) == labels[part])
        return correct / len(x)

    def gradient(self, x, t):
        self.loss(x, t)
        layers = [self.last_layer] + list(self.layers.values())[::-1]
        grad = 1
        for layer in layers:
            grad = layer.backward(grad)
        grads = {}
        for i, name in enumerate(['Conv1', 'Affine1', 'Affine2'], start=1):
            grads[f'W{i}'] = self.layers[name].dW
            grads[f'b{i}'] = self.layers[name].db
        return grads
