"""Correct chapter 7 with np.einsum: the convolution contracts a 6-D window tensor with the
filters directly, without forming the im2col matrix.

windows(x)[n, c, i, j, y, x] is the padded input at (y * stride + i, x * stride + j): one
strided slice per filter offset (i, j). Its adjoint, fold, adds such a tensor back.
"""

from collections import OrderedDict

import numpy as np


def output_size(size, kernel, stride, pad):
    return (size + 2 * pad - kernel) // stride + 1


def windows(x, kh, kw, stride, pad, fill=0.0):
    n, c, h, w = x.shape
    oh, ow = output_size(h, kh, stride, pad), output_size(w, kw, stride, pad)
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=fill)
    out = np.empty((n, c, kh, kw, oh, ow), dtype=np.result_type(x, np.float64))
    for i in range(kh):
        for j in range(kw):
            out[:, :, i, j] = padded[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride]
    return out


def fold(win, input_shape, stride, pad):
    n, c, h, w = input_shape
    _, _, kh, kw, oh, ow = win.shape
    padded = np.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=win.dtype)
    for i in range(kh):
        for j in range(kw):
            padded[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride] += win[:, :, i, j]
    return padded[:, :, pad:pad + h, pad:pad + w]


def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    win = windows(input_data, filter_h, filter_w, stride, pad)
    n, _, _, _, oh, ow = win.shape
    return np.einsum('ncijyx->nyxcij', win).reshape(n * oh * ow, -1)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    n, c, h, w = input_shape
    oh, ow = output_size(h, filter_h, stride, pad), output_size(w, filter_w, stride, pad)
    win = np.einsum('nyxcij->ncijyx', col.reshape(n, oh, ow, c, filter_h, filter_w))
    return fold(win, input_shape, stride, pad)


def log_softmax(x):
    z = x - np.max(x, axis=-1, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))


def softmax(x):
    return np.exp(log_softmax(x))


def one_hot(t, classes):
    t = np.asarray(t)
    return t.astype(float) if t.shape[-1:] == (classes,) and t.ndim == 2 else np.eye(classes)[t]


def cross_entropy_error(y, t):
    y = y.reshape(-1, y.shape[-1])
    target = one_hot(t, y.shape[-1]).reshape(y.shape)
    return -np.einsum('nk,nk->', target, np.log(np.where(target > 0, y, 1.0))) / len(y)


class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = (x > 0).astype(x.dtype)
        return x * self.mask

    def backward(self, dout):
        return dout * self.mask


class Affine:
    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.x = None
        self.dW = None
        self.db = None

    def forward(self, x):
        self.x = x
        return np.einsum('nf,fo->no', x.reshape(len(x), -1), self.W) + self.b

    def backward(self, dout):
        flat = self.x.reshape(len(self.x), -1)
        self.dW = np.einsum('nf,no->fo', flat, dout)
        self.db = np.einsum('no->o', dout)
        return np.einsum('no,fo->nf', dout, self.W).reshape(self.x.shape)


class SoftmaxWithLoss:
    def __init__(self):
        self.loss = None
        self.y = None
        self.t = None

    def forward(self, x, t):
        self.t = one_hot(t, x.shape[-1])
        log_y = log_softmax(x)
        self.y = np.exp(log_y)
        self.loss = -np.einsum('nk,nk->', self.t, log_y) / len(x)
        return self.loss

    def backward(self, dout=1):
        return (self.y - self.t) * dout / len(self.y)


class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W = W
        self.b = b
        self.stride = stride
        self.pad = pad
        self.x_shape = None
        self.win = None
        self.dW = None
        self.db = None

    def forward(self, x):
        _, _, fh, fw = self.W.shape
        self.x_shape = x.shape
        self.win = windows(x, fh, fw, self.stride, self.pad)
        return np.einsum('ncijyx,fcij->nfyx', self.win, self.W) + self.b[:, None, None]

    def backward(self, dout):
        self.dW = np.einsum('ncijyx,nfyx->fcij', self.win, dout)
        self.db = np.einsum('nfyx->f', dout)
        dwin = np.einsum('nfyx,fcij->ncijyx', dout, self.W)
        return fold(dwin, self.x_shape, self.stride, self.pad)


class Pooling:
    """Max pooling over the same window tensor, padded with -inf."""

    def __init__(self, pool_h, pool_w, stride=2, pad=0):
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad
        self.x_shape = None
        self.arg_max = None

    def forward(self, x):
        win = windows(x, self.pool_h, self.pool_w, self.stride, self.pad, fill=-np.inf)
        n, c, kh, kw, oh, ow = win.shape
        flat = win.reshape(n, c, kh * kw, oh, ow)
        self.x_shape = x.shape
        self.arg_max = np.argmax(flat, axis=2)
        return np.max(flat, axis=2)

    def backward(self, dout):
        n, c, oh, ow = dout.shape
        positions = np.arange(self.pool_h * self.pool_w)[None, None, :, None, None]
        chosen = positions == self.arg_max[:, :, None]
        dwin = np.einsum('ncpyx,ncyx->ncpyx', chosen.astype(dout.dtype), dout)
        dwin = dwin.reshape(n, c, self.pool_h, self.pool_w, oh, ow)
        return fold(dwin, self.x_shape, self.stride, self.pad)


class SimpleConvNet:
    """conv - relu - pool - affine - relu - affine - softmax"""

    def __init__(self, input_dim=(1, 28, 28),
                 conv_param={'filter_num': 30, 'filter_size': 5,  # noqa: B006 (the book's)
                             'pad': 0, 'stride': 1},
                 hidden_size=100, output_size=10, weight_init_std=0.01):
        size, stride, pad = conv_param['filter_size'], conv_param['stride'], conv_param['pad']
        filters = conv_param['filter_num']
        channels, height, width = input_dim
        conv_h = (height + 2 * pad - size) // stride + 1
        conv_w = (width + 2 * pad - size) // stride + 1
        shapes = {
            'W1': (filters, channels, size, size), 'b1': (filters,),
            'W2': (filters * (conv_h // 2) * (conv_w // 2), hidden_size), 'b2': (hidden_size,),
            'W3': (hidden_size, output_size), 'b3': (output_size,),
        }
        self.params = {}
        for key, shape in shapes.items():
            if key[0] == 'W':
                self.params[key] = np.random.normal(0.0, weight_init_std, shape)
            else:
                self.params[key] = np.zeros(shape)

        p = self.params
        self.layers = OrderedDict()
        self.layers['Conv1'] = Convolution(p['W1'], p['b1'], stride, pad)
        self.layers['Relu1'] = Relu()
        self.layers['Pool1'] = Pooling(2, 2, 2, 0)
        self.layers['Affine1'] = Affine(p['W2'], p['b2'])
        self.layers['Relu2'] = Relu()
        self.layers['Affine2'] = Affine(p['W3'], p['b3'])
        self.last_layer = SoftmaxWithLoss()
        self.param_layers = {'1': 'Conv1', '2': 'Affine1', '3': 'Affine2'}

    def predict(self, x):
        out = x
        for name in self.layers:
            out = self.layers[name].forward(out)
        return out

    def loss(self, x, t):
        return self.last_layer.forward(self.predict(x), t)

    def accuracy(self, x, t, batch_size=100):
        t = np.asarray(t)
        if t.ndim == 2:
            t = t.argmax(axis=1)
        predicted = np.concatenate([self.predict(x[i:i + batch_size]).argmax(axis=1)
                                    for i in range(0, len(x), batch_size)])
        return float(np.mean(predicted == t))

    def gradient(self, x, t):
        self.loss(x, t)
        grad = self.last_layer.backward()
        for name in reversed(list(self.layers)):
            grad = self.layers[name].backward(grad)
        grads = {}
        for index, name in self.param_layers.items():
            grads['W' + index] = self.layers[name].dW
            grads['b' + index] = self.layers[name].db
        return grads
