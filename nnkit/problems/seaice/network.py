"""Partial convolutions that ignore land, and the small UNet surrogate built from them.

A partial convolution (Liu et al. 2018) sees only valid (ocean) pixels: with M the land-sea mask,
    x' = [W^T (X * M) * k^2 / sum_window(M) + b] * M,
so a coastal pixel is not dragged towards the zeros stored on land, and land stays zero. The mask is static (land
does not move), as in Durand et al. (2024); zero padding counts as land. Down the encoder it is 2x2 max-pooled: a
coarse cell is ocean when any of its four children is.

Two surrogates are built from them: a two-level UNet, and a ResNet at full resolution with FixUp initialisation
(Zhang, Dauphin & Ma 2019), the seed's other architecture. Both start as persistence (their last layer is zero).
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ...core.validation import check_positive


class PartialConv2d(nn.Conv2d):
    """A 'same'-padded, stride-1 convolution renormalised by the number of ocean pixels in each window.

    forward(x (B, C, H, W), mask (B or 1, 1, H, W) of 0/1, 1 = ocean) -> (B, out, H, W), zero on land.
    With ``partial=False`` it is a plain convolution of the land-zeroed input.
    """

    def __init__(self, in_channels, out_channels, kernel_size=3, partial=True):
        check_positive(kernel_size, "kernel_size", integer=True)
        if kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd (for 'same' padding); got {kernel_size}")
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        self.partial = partial

    def forward(self, x, mask):
        if not self.partial:
            return super().forward(x * mask) * mask
        with torch.no_grad():
            ones = torch.ones(1, 1, *self.kernel_size, dtype=x.dtype, device=x.device)
            valid = F.conv2d(mask, ones, padding=self.padding)             # ocean pixels per window
            ratio = self.kernel_size[0] * self.kernel_size[1] / valid.clamp(min=1.0) * mask
        raw = F.conv2d(x * mask, self.weight, None, self.stride, self.padding)
        return raw * ratio + self.bias.view(1, -1, 1, 1) * mask


def _check_input(x, mask, in_channels):
    """x (B, in_channels, H, W) with H and W multiples of 4, and a mask (B or 1, 1, H, W)."""
    if x.ndim != 4 or x.shape[1] != in_channels or x.shape[-1] % 4 or x.shape[-2] % 4:
        raise ValueError(f"x must be (B, {in_channels}, H, W) with H and W multiples of 4; got {tuple(x.shape)}")
    if mask.ndim != 4 or mask.shape[1] != 1 or mask.shape[-2:] != x.shape[-2:]:
        raise ValueError(f"mask must be (B or 1, 1, {x.shape[-2]}, {x.shape[-1]}); got {tuple(mask.shape)}")


def _zero_head(width, partial):
    """The 1x1 output layer from ``width`` channels to the increment, starting at zero: persistence."""
    head = PartialConv2d(width, 1, 1, partial)
    nn.init.zeros_(head.weight)
    nn.init.zeros_(head.bias)
    return head


class _DoubleConv(nn.Module):
    """Two masked 3x3 convolutions, each followed by Mish."""

    def __init__(self, c_in, c_out, partial):
        super().__init__()
        self.conv1 = PartialConv2d(c_in, c_out, 3, partial)
        self.conv2 = PartialConv2d(c_out, c_out, 3, partial)

    def forward(self, x, mask):
        return F.mish(self.conv2(F.mish(self.conv1(x, mask)), mask))


class SeaIceUNet(nn.Module):
    """A two-level UNet of partial convolutions: (B, in_channels, H, W) inputs and an ocean mask -> the (B, 1, H, W)
    increment of the thickness over the next step (H and W multiples of 4), zero on land.

    Widths w, 2w, 4w (bottleneck). The last 1x1 layer starts at zero, so a new network predicts no change:
    persistence. ``partial=False`` builds the same network with plain convolutions that treat land as zeros.
    """

    def __init__(self, in_channels, width=16, partial=True):
        super().__init__()
        check_positive(in_channels, "in_channels", integer=True)
        check_positive(width, "width", integer=True)
        w = width
        self.enc1 = _DoubleConv(in_channels, w, partial)
        self.enc2 = _DoubleConv(w, 2 * w, partial)
        self.bottleneck = _DoubleConv(2 * w, 4 * w, partial)
        self.dec2 = _DoubleConv(4 * w + 2 * w, 2 * w, partial)
        self.dec1 = _DoubleConv(2 * w + w, w, partial)
        self.head = _zero_head(w, partial)
        self.in_channels, self.width, self.partial = in_channels, width, partial

    def forward(self, x, mask):
        _check_input(x, mask, self.in_channels)
        m2 = F.max_pool2d(mask, 2)
        m3 = F.max_pool2d(m2, 2)
        e1 = self.enc1(x, mask)
        e2 = self.enc2(F.max_pool2d(e1, 2), m2)
        b = self.bottleneck(F.max_pool2d(e2, 2), m3)
        d2 = self.dec2(torch.cat([F.interpolate(b, scale_factor=2.0), e2], 1), m2)
        d1 = self.dec1(torch.cat([F.interpolate(d2, scale_factor=2.0), e1], 1), mask)
        return self.head(d1, mask)


class _FixupBlock(nn.Module):
    """x + conv2(mish(conv1(x))): conv1 He-normal scaled by n_blocks^(-1/2) (FixUp with two layers per branch),
    conv2 zero, so every block starts as the identity."""

    def __init__(self, width, n_blocks, partial):
        super().__init__()
        self.conv1 = PartialConv2d(width, width, 3, partial)
        self.conv2 = PartialConv2d(width, width, 3, partial)
        nn.init.kaiming_normal_(self.conv1.weight, nonlinearity="relu")
        with torch.no_grad():
            self.conv1.weight.mul_(n_blocks ** -0.5)
        for param in (self.conv1.bias, self.conv2.weight, self.conv2.bias):
            nn.init.zeros_(param)

    def forward(self, x, mask):
        return x + self.conv2(F.mish(self.conv1(x, mask)), mask)


class SeaIceResNet(nn.Module):
    """A residual network of partial convolutions at full resolution: a 3x3 lift of (B, in_channels, H, W) to
    ``width`` channels, ``n_blocks`` FixUp blocks, and a 1x1 head to the (B, 1, H, W) increment, zero on land.

    FixUp trains deep residual stacks without normalisation layers: each block's last convolution starts at zero and
    the one before it is He-normal shrunk by n_blocks^(-1/2), so the stack starts as the identity and its output
    variance does not grow with depth. The head starts at zero: a new network predicts persistence. Receptive field:
    4 n_blocks + 3 cells (the UNet's pooling reaches further with fewer layers).
    """

    def __init__(self, in_channels, width=16, n_blocks=6, partial=True):
        super().__init__()
        check_positive(in_channels, "in_channels", integer=True)
        check_positive(width, "width", integer=True)
        check_positive(n_blocks, "n_blocks", integer=True)
        self.lift = PartialConv2d(in_channels, width, 3, partial)
        self.blocks = nn.ModuleList(_FixupBlock(width, n_blocks, partial) for _ in range(n_blocks))
        self.head = _zero_head(width, partial)
        self.in_channels, self.width, self.partial = in_channels, width, partial

    def forward(self, x, mask):
        _check_input(x, mask, self.in_channels)
        x = F.mish(self.lift(x, mask))
        for block in self.blocks:
            x = block(x, mask)
        return self.head(F.mish(x), mask)
