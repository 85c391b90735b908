"""The book's layers: `forward(x)` and `backward(dout)` (which returns dx), parameter
gradients in `d<name>` (dW, db, dgamma, dbeta).

Layers keep references to the parameter arrays they are given (optimizers update them in
place) and never write to any array they are given.
"""

from .activation import Relu, Sigmoid
from .affine import Affine
from .conv import Convolution
from .dropout import Dropout
from .loss import SoftmaxWithLoss
from .normalization import LRN, BatchNormalization
from .pooling import AvgPooling, Pooling

__all__ = ["Affine", "AvgPooling", "BatchNormalization", "Convolution", "Dropout", "LRN",
           "Pooling", "Relu", "Sigmoid", "SoftmaxWithLoss"]
