"""The book's algorithm, the benchmark's baseline: the book's own chapter 7 code, as published,
from third_party/deep-learning-from-scratch (MIT; see its LICENSE.md and README.md).

Its warts are the point: im2col builds a 6-D column array with an FH x FW loop and then
transposes and reshapes it (a copy), intermediates are float64 (np.zeros' default dtype),
Pooling takes im2col + argmax, and the output sizes ignore the padding of a pooling layer.
The book's modules import each other as `common.*`, so its folder goes on sys.path (the
benchmark process only).
"""

import sys
from pathlib import Path

BOOK = Path(__file__).resolve().parents[1] / "third_party" / "deep-learning-from-scratch"
if str(BOOK) not in sys.path:
    sys.path.insert(0, str(BOOK))

from ch07.simple_convnet import SimpleConvNet as _BookNet  # noqa: E402
from common.layers import Convolution, Pooling  # noqa: E402

__all__ = ["Convolution", "Pooling", "SimpleConvNet"]

_LAYER_PARAMS = {"Conv1": ("W1", "b1"), "Affine1": ("W2", "b2"), "Affine2": ("W3", "b3")}


def SimpleConvNet(params):
    """The book's SimpleConvNet with the given weights (so that every method starts equal),
    kept in their dtype: the book's constructor draws its own float64 ones, which the layers
    then hold."""
    filter_num, _, filter_size, _ = params["W1"].shape
    net = _BookNet(input_dim=(1, 28, 28),
                   conv_param={"filter_num": filter_num, "filter_size": filter_size,
                               "pad": 0, "stride": 1},
                   hidden_size=params["W2"].shape[1], output_size=params["W3"].shape[1])
    net.params = params
    for layer, (weight, bias) in _LAYER_PARAMS.items():
        net.layers[layer].W, net.layers[layer].b = params[weight], params[bias]
    return net
