"""Check every kernel path of scratch_cnn's Convolution and Pooling against PyTorch (float64).

    python -m benchmarks.check_kernels

The layers choose a kernel by shape (2x2/2 pooling has its own; convolution works in batch
chunks), so this runs each path, with the chunk size also forced down to one sample so that
every chunk boundary is crossed. It checks outputs and gradients to 1e-13 relative in float64,
that float32 stays float32, that inputs are never written, and pooling's edge cases: ties,
NaN (torch routes the gradient to the last NaN), -inf, padding, odd sizes, inf in dout.
Exits non-zero on the first mismatch.
"""

import itertools
import sys

import numpy as np
import torch
import torch.nn.functional as F

import scratch_cnn as sc
from scratch_cnn import _kernels
from scratch_cnn._kernels import windows as kernel_windows

TOL = {np.float64: 1e-13, np.float32: 2e-5}  # max |error| / max(|oracle|, 1)

# Convolution. Columns: x (N, C, H, W), W (FN, C, FH, FW), stride, pad.
CONV_CASES = [
    ((3, 2, 7, 5), (4, 2, 3, 2), 1, 0),
    ((3, 2, 7, 5), (4, 2, 3, 2), 2, 1),
    ((2, 3, 9, 8), (4, 3, 3, 3), 1, 2),
    ((2, 3, 9, 8), (4, 3, 3, 3), 3, 2),
    ((3, 2, 6, 7), (3, 2, 1, 1), 1, 0),      # 1x1 kernel
    ((3, 2, 6, 7), (3, 2, 1, 1), 3, 2),
    ((2, 1, 5, 5), (2, 1, 5, 5), 1, 0),      # kernel = input
    ((2, 1, 3, 3), (2, 1, 5, 5), 1, 1),      # kernel = padded input
    ((5, 1, 12, 12), (6, 1, 5, 5), 1, 0),    # SimpleConvNet-like, C = 1: channel-major
    ((4, 16, 8, 8), (8, 16, 3, 3), 1, 1),    # channels-last, dx as a convolution of dout
    ((3, 4, 7, 6), (5, 4, 3, 3), 1, 2),      # channels-last, pad = kernel - 1
    ((3, 4, 7, 6), (5, 4, 2, 2), 1, 2),      # channels-last, pad > kernel - 1: dx by fold
    ((3, 16, 7, 9), (5, 16, 2, 4), 1, (2, 0)),
    ((3, 17, 6, 5), (2, 17, 1, 1), 1, 0),
    ((2, 16, 3, 4), (3, 16, 5, 6), 1, (1, 1)),  # kernel = padded input
    ((4, 16, 9, 8), (8, 16, 3, 3), 2, 1),
    ((2, 3, 10, 9), (2, 3, 4, 3), (2, 1), (1, 0)),
]
# Max pooling. Columns: x (N, C, H, W), window (h, w), stride, pad.
POOL_CASES = [
    ((3, 2, 8, 6), (2, 2), 2, 0),            # the 2x2/2 kernel
    ((3, 2, 7, 9), (2, 2), 2, 0),            # 2x2/2 with an odd size (a row/column left out)
    ((3, 2, 8, 6), (2, 2), 2, 1),
    ((3, 2, 8, 6), (2, 2), 1, 0),            # overlapping
    ((2, 3, 9, 9), (3, 3), 2, 1),            # AlexNet's, overlapping and padded
    ((2, 3, 9, 7), (3, 2), (2, 1), (1, 1)),
    ((2, 2, 6, 6), (3, 3), 3, 0),
]


def close(name, got, ref, dtype):
    ref = ref.detach().numpy() if isinstance(ref, torch.Tensor) else np.asarray(ref)
    if got.dtype != dtype:
        fail(f"{name}: dtype {got.dtype}, expected {np.dtype(dtype)}")
    if got.shape != ref.shape:
        fail(f"{name}: shape {got.shape}, expected {ref.shape}")
    same_nan = np.array_equal(np.isnan(got), np.isnan(ref))
    both = ~np.isnan(ref) & ~np.isnan(got)
    with np.errstate(invalid="ignore"):  # inf - inf where both are inf: equal, error 0
        diff = np.where(got[both] == ref[both], 0.0, np.abs(got[both] - ref[both]))
    scale = np.max(np.abs(ref[both]), initial=0, where=np.isfinite(ref[both]))
    error = np.max(diff, initial=0) / max(1.0, scale)
    if not (same_nan and error <= TOL[dtype]):
        fail(f"{name}: relative error {error:.2e}, NaNs {'agree' if same_nan else 'differ'}")


def fail(message):
    print("FAILED", message)
    sys.exit(1)


def tensors(*arrays):
    return [torch.tensor(a.astype(np.float64), requires_grad=True) for a in arrays]


def check_conv(rng, x_shape, w_shape, stride, pad, dtype, layout):
    x = rng.standard_normal(x_shape).astype(dtype)
    if layout == "CNHW":  # non-contiguous inputs, as the convolutions return them
        x = np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    elif layout == "NHWC":
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    W, b = rng.standard_normal(w_shape).astype(dtype), rng.standard_normal(w_shape[0]).astype(dtype)
    saved = [a.copy() for a in (x, W, b)]
    layer = sc.Convolution(W, b, stride, pad)
    out = layer.forward(x)
    xt, wt, bt = tensors(x, W, b)
    ot = F.conv2d(xt, wt, bt, stride=stride, padding=pad)
    dout = rng.standard_normal(ot.shape).astype(dtype)
    ot.backward(torch.tensor(dout.astype(np.float64)))
    saved.append(dout.copy())
    dx = layer.backward(dout)
    tag = f"conv x{x_shape} W{w_shape} stride {stride} pad {pad} {np.dtype(dtype)} {layout}"
    for name, got, ref in (("out", out, ot), ("dx", dx, xt.grad), ("dW", layer.dW, wt.grad),
                           ("db", layer.db, bt.grad)):
        close(f"{tag} {name}", got, ref, dtype)
    if not all(np.array_equal(a, s) for a, s in zip((x, W, b, dout), saved)):
        fail(f"{tag}: an input was modified")


def check_pool(x, window, stride, pad, dtype, tag, dout=None, rng=None):
    if dout is None:
        dout = rng.standard_normal(x.shape[:2] + _kernels.output_hw(
            x.shape[2:], window, _pair(stride), _pair(pad)))
    x, dout = x.astype(dtype), dout.astype(dtype)
    channel_major = np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    channels_last = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    for layout, xl in (("NCHW", x), ("CNHW", channel_major), ("NHWC", channels_last)):
        saved = xl.copy()
        layer = sc.Pooling(window[0], window[1], stride, pad)
        out = layer.forward(xl)
        xt = torch.tensor(x.astype(np.float64), requires_grad=True)
        ot = F.max_pool2d(xt, window, stride, pad)
        ot.backward(torch.tensor(dout.astype(np.float64)))
        dx = layer.backward(dout)
        close(f"{tag} {layout} out", out, ot, dtype)
        close(f"{tag} {layout} dx", dx, xt.grad, dtype)
        if not np.array_equal(xl, saved, equal_nan=True):
            fail(f"{tag}: x was modified")


def main():
    rng = np.random.default_rng(0)
    default_chunk = kernel_windows.CHUNK_BYTES
    count = 0
    for chunk in (default_chunk, 1):  # 1 byte: one sample per chunk, every boundary crossed
        kernel_windows.CHUNK_BYTES = chunk
        for (x_shape, w_shape, stride, pad), dtype, layout in itertools.product(
                CONV_CASES, (np.float64, np.float32), ("NCHW", "CNHW", "NHWC")):
            check_conv(rng, x_shape, w_shape, stride, pad, dtype, layout)
            count += 1
        for (x_shape, window, stride, pad), dtype in itertools.product(
                POOL_CASES, (np.float64, np.float32)):
            tag = f"pool x{x_shape} {window} stride {stride} pad {pad} {np.dtype(dtype)}"
            x = rng.standard_normal(x_shape)
            check_pool(x, window, stride, pad, dtype, tag, rng=rng)
            check_pool(-np.abs(x) - 1, window, stride, pad, dtype, tag + " all negative",
                       rng=rng)
            ties = rng.integers(0, 2, x_shape).astype(float)  # many equal maxima
            check_pool(ties, window, stride, pad, dtype, tag + " ties", rng=rng)
            with_nan = x.copy()
            with_nan.flat[rng.choice(x.size, max(2, x.size // 5), replace=False)] = np.nan
            check_pool(with_nan, window, stride, pad, dtype, tag + " NaN", rng=rng)
            inf = x.copy()
            inf.flat[rng.choice(x.size, x.size // 3, replace=False)] = -np.inf
            check_pool(inf, window, stride, pad, dtype, tag + " -inf", rng=rng)
            check_pool(np.full(x_shape, -np.inf), window, stride, pad, dtype, tag + " all -inf",
                       rng=rng)
            dout = rng.standard_normal(x_shape[:2] + _kernels.output_hw(
                x_shape[2:], window, _pair(stride), _pair(pad)))
            dout.flat[:3] = [np.inf, -np.inf, np.nan]
            check_pool(x, window, stride, pad, dtype, tag + " inf/NaN in dout", dout=dout)
            count += 7
    kernel_windows.CHUNK_BYTES = default_chunk
    print(f"all {count} kernel checks match torch")


def _pair(v):
    return tuple(v) if isinstance(v, tuple) else (v, v)


if __name__ == "__main__":
    main()
