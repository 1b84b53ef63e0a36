"""Nearest-neighbour 2x upsampling fused with the convolution after it."""

import keras
import numpy as np
from keras import ops

from keras_wgan.layers.resampling_conv import ResamplingConv


def _phase_taps(kernel_size):
    """How the k taps of a 'same' conv on a 2x nearest-upsampled signal fall on the input.

    Output position 2i + a (a = 0 or 1, the phase) with tap offset d in [-r, r],
    r = (k - 1) // 2, reads input position i + floor((a + d) / 2). Each phase thus reads
    r + 1 consecutive input positions starting at offset floor((a - r) / 2).

    Returns:
        (starts, taps): the two phases' first input offsets, and a float32 array
        [2, r + 1, k] whose [a, j, t] is 1 where phase a's tap t reads its j-th position.
    """
    r = (kernel_size - 1) // 2
    starts = [(a - r) // 2 for a in (0, 1)]
    taps = np.zeros((2, r + 1, kernel_size), "float32")
    for a in (0, 1):
        for t in range(kernel_size):
            taps[a, (a + t - r) // 2 - starts[a], t] = 1.0
    return starts, taps


@keras.saving.register_keras_serializable(package="keras_wgan")
class UpsampleConv(ResamplingConv):
    """2x nearest-neighbour upsampling followed by a 'same' convolution, computed as one.

    Gulrajani et al. 2017, appendix: the ResNet generators' upsampling (`UpsampleConv` in
    the paper's code repeats each pixel, then convolves). Each output pixel of a 2x2 block
    sees the repeated pixels through its own (r + 1) x (r + 1) sums of the k x k kernel,
    r = (k - 1) // 2, so one convolution of the small input with those four phase kernels
    (derived from the k x k kernel on every call) gives all four pixels, which are then
    interleaved. For k = 3 that is 16 instead of 36 multiply-adds per output pixel and
    channel pair, in the forward pass and both backward passes. For k = 1, the
    convolution runs before the upsampling (a 1x1 convolution and pixel repetition
    commute), a quarter of the work.

    A `ResamplingConv` (see there for the arguments): the unfused pair's k x k kernel,
    bias and config.

    Example:
    >>> import numpy as np
    >>> UpsampleConv(4)(np.zeros((2, 4, 4, 3), "float32")).shape
    TensorShape([2, 8, 8, 4])
    """

    scale = 2
    operation = "convolves a 2x nearest-upsampled input with 'same' padding"

    def convolution_op(self, inputs, kernel):
        channels_last = self.data_format == "channels_last"
        if not channels_last:
            inputs = ops.transpose(inputs, (0, 2, 3, 1))
        if self.kernel_size == (1, 1):
            out = _repeat_pixels(ops.conv(inputs, kernel, padding="valid"))
        else:
            out = self._phase_convolution(inputs, kernel)
        return out if channels_last else ops.transpose(out, (0, 3, 1, 2))

    def _phase_convolution(self, inputs, kernel):
        (row_starts, row_taps), (col_starts, col_taps) = (_phase_taps(k) for k in self.kernel_size)
        filters = self.filters
        # [phase_row, phase_col, rows, cols, in, out] -> one kernel with 4 x out channels.
        # The 0/1 tap maps in the kernel's dtype (bfloat16 or float16 under mixed precision).
        row_taps, col_taps = (ops.cast(taps, kernel.dtype) for taps in (row_taps, col_taps))
        phases = ops.einsum("ajt,bks,tsio->jkiabo", row_taps, col_taps, kernel)
        rows, cols = row_taps.shape[1], col_taps.shape[1]
        phases = ops.reshape(phases, (rows, cols, kernel.shape[2], 4 * filters))
        # Pad so that position p of the valid convolution starts at input offset
        # p + min(starts); phase a then starts at p = starts[a] - min(starts).
        height, width = inputs.shape[1], inputs.shape[2]
        if height is None or width is None:
            raise ValueError(
                f"{self.name} interleaves its four phase outputs by shape, so its input "
                f"needs a known height and width. Received input shape {tuple(inputs.shape)}."
            )
        row_pad = (-min(row_starts), max(row_starts) + rows - 1)
        col_pad = (-min(col_starts), max(col_starts) + cols - 1)
        padded = ops.pad(inputs, [(0, 0), row_pad, col_pad, (0, 0)])
        conv = ops.conv(padded, phases, padding="valid")
        blocks = []
        for a in (0, 1):
            ra = row_starts[a] - min(row_starts)
            row = []
            for b in (0, 1):
                cb = col_starts[b] - min(col_starts)
                channel = (2 * a + b) * filters
                row.append(conv[:, ra : ra + height, cb : cb + width, channel : channel + filters])
            blocks.append(ops.stack(row, axis=3))  # [n, h, w, 2 (b), c]
        out = ops.stack(blocks, axis=2)  # [n, h, 2 (a), w, 2 (b), c]
        return ops.reshape(out, (-1, 2 * height, 2 * width, filters))


def _repeat_pixels(x):
    """2x nearest-neighbour upsampling of a channels-last batch."""
    return ops.repeat(ops.repeat(x, 2, axis=1), 2, axis=2)
