"""The array kernels behind convolution and pooling (one thread, measured with benchmarks/;
benchmarks/README.md says which kernel runs when, and why).

- windows: output geometry, padding, one view per kernel offset, batch chunks.
- columns: the transposed column matrix (im2col) and its fold (col2im).
- conv: convolution, on a channels-last column matrix from 4 input channels on
  (conv_channels_last), else on the channel-major one (conv_channel_major).
- max_pooling, avg_pooling: pooling; avg_pooling also holds LRN's sum over neighbouring channels.
NumPy allocations are tracked by tracemalloc, which is how the benchmark measures memory.
"""

from .avg_pooling import avg_pool, avg_pool_backward, channel_window_sum
from .columns import columns_t, fold_columns_t
from .conv import conv_backward, conv_forward
from .max_pooling import max_pool, max_pool_backward
from .windows import output_hw

__all__ = ["avg_pool", "avg_pool_backward", "channel_window_sum", "columns_t", "conv_backward",
           "conv_forward", "fold_columns_t", "max_pool", "max_pool_backward", "output_hw"]
