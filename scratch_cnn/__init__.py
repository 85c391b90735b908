"""scratch-cnn: the CNN layers of "Deep Learning from Scratch" (ch. 7) in NumPy, with PyTorch's
semantics where the book is silent or wrong. Importing it imports NumPy only."""

from .functional import (
                         col2im,
                         conv_output_size,
                         cross_entropy_error,
                         im2col,
                         log_softmax,
                         numerical_gradient,
                         pool_output_size,
                         softmax,
)
from .layers import (
                         LRN,
                         Affine,
                         AvgPooling,
                         BatchNormalization,
                         Convolution,
                         Dropout,
                         Pooling,
                         Relu,
                         Sigmoid,
                         SoftmaxWithLoss,
)
from .nets import AlexNet, DeepConvNet, LeNet, Network, SimpleConvNet
from .optim import SGD, AdaGrad, Adam, Momentum, Nesterov, RMSprop

__version__ = "0.1.0"

__all__ = [
    "LRN", "Affine", "AvgPooling", "BatchNormalization", "Convolution", "Dropout", "Pooling",
    "Relu", "Sigmoid", "SoftmaxWithLoss", "col2im", "conv_output_size", "cross_entropy_error",
    "im2col", "log_softmax", "numerical_gradient", "pool_output_size", "softmax",
    "AlexNet", "DeepConvNet", "LeNet", "Network", "SimpleConvNet",
    "SGD", "AdaGrad", "Adam", "Momentum", "Nesterov", "RMSprop",
]
