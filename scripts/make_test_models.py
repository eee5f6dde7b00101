#!/usr/bin/python3
"""Writes the tiny TorchScript models, images and reference values the C++ tests use.

Usage:
  /usr/bin/python3 scripts/make_test_models.py [--out tests/data]

Files written to --out (every model carries borex metadata in a "borex.json" TorchScript extra
file, except no_metadata_model.pt; every file is below 50 KB, except
tiny_video_cam_reference.json: below 200 KB):
  region_model.pt            input [N,3,32,32]; logit 0 = 20 * mean(x[:, :, 8:16, 16:24]) - 5
                             (rows 8..15, cols 16..23), logit 1 = 0: the "target" probability
                             depends only on that region. `features` is an identity 1x1
                             convolution so that Grad-CAM can be run on it. Scripted.
  no_metadata_model.pt       the region model saved without extra files.
  bad_output_model.pt        returns [N,3,2] instead of logits [N,C]; region-model metadata.
  region_image.png           32x32 RGB: grey 128, the region white 255 (=> "target", p ~ 1).
  region_image_40x48.png     the same at 40 rows x 48 cols (region rows 10..19, cols 24..35).
  tiny_cam_scripted.pt       input [N,3,8,8]; features = Conv2d(3,4,3,padding=1)+ReLU, global
  tiny_cam_traced.pt         average pooling, fc = Linear(4,3); once scripted, once traced.
  tiny_cam_reference.json    image, logits, activations A of `features`, gradients dY_c/dA,
                             Grad-CAM and Grad-CAM++ maps for class 1 (keys below).
  nested_cam_scripted.pt     target layer nested: backbone = Sequential(Sequential(conv, relu),
                             Sequential(conv, relu)); metadata target_layer "backbone.1".
  nested_cam_reference.json  the same reference values for "backbone.1" and class 0.
  video_region_model.pt      video (task "video-classification", layout NCTHW): input
                             [N,3,T=8,32,32]; logit 0 = 20 * mean(x[:, :, 2:5, 8:16, 16:24]) - 5
                             (frames 2..4, rows 8..15, cols 16..23, 0-based inclusive), logit
                             1 = 0. `features` is an identity 1x1x1 convolution (5-D output).
  video_region_model_ntchw.pt  the same function of an input [N,T=8,3,32,32] (layout NTCHW); it
                             permutes to NCTHW before `features`.
  video_region_model.json    the region, frames, gain and bias of the two video region models.
  distractor_model.pt        input [N,3,32,32], classes "target", "other", "rest"; with A = rows
                             4..11 x cols 4..11, B = rows 4..11 x cols 20..27 (the planted
                             distractor) and C = rows 20..27 x cols 12..19 (0-based, inclusive),
                             means over the 3 channels: logit 0 = 8 * (mean(A) - 2 * mean(B)) + 4,
                             logit 1 = 8 * mean(C) - 4, logit 2 = 0. Hiding B raises "target";
                             C is the evidence of "other". `features`: identity 1x1 convolution.
  distractor_image.png       32x32 RGB: grey 128, A white 255, B grey 102 (0.4), C white 255
                             (=> p ~ [0.83, 0.17, 0.003]).
  tiny_video_cam.pt          input [N,3,8,16,16]; features = Conv3d(3,4,3,padding=1), ReLU,
                             Conv3d(4,6,3,stride=(1,2,2),padding=1), ReLU; global average
                             pooling, fc = Linear(6,3); target layer "features.2" (the second
                             convolution, before its ReLU: output [N,6,8,8,8]). Scripted.
  tiny_video_cam_reference.json  its reference values for class 1 and the input clip
                             x[c,t,i,j] = 0.5 + 0.5 * sin(0.3 i + 0.2 j + 0.5 t + c) (keys below).

  channel_model.pt           Opti-CAM test model: input [N,3,32,32]; features = Conv2d(3,4,
                             kernel 4, stride 4) + ReLU whose channels are the 4x4-cell means of
                             R, G, B and (R+G)/2 (output [N,4,8,8]); logit 0 = 10 * (mean of
                             channel 2, blue, - mean of channel 0, red), logit 1 = 10 * (red -
                             blue), logit 2 = 5 * mean(channel 3). Target layer "features".
  channel_image.png          32x32, three bands on the 4x4 feature cells: columns 0..11 blue
                             (0,0,255), 12..19 red (255,0,0), 20..31 green (0,255,0).
  opticam_reference.json     Opti-CAM computed with PyTorch autograd and torch.optim.Adam on the
                             channel model, class 0, for the image x[c,i,j] = 0.5 + 0.5 *
                             sin(0.3 i + 0.2 j + c) ("input_formula"), 5 iterations at learning
                             rate 0.1, from u = 0.5: per normalisation ("max", "minmax") the final
                             "weights" softmax(u) [4], "map" [32][32] and the masked "logit".

Reference JSON keys: "image" [3][H][W] (CHW, RGB in [0,1], what the model gets: mean 0, std 1),
"label", "logits" [C], "activations" [K][h][w], "gradients" [K][h][w] (dY_label/dA of the logit),
"gradcam" [h][w] and "gradcampp" [h][w], plus "model" and "target_layer". A and dY/dA are
captured with a forward hook and autograd; the maps are computed explicitly in float64:
  Grad-CAM:   ReLU(sum_k alpha_k A_k),  alpha_k = mean_ij g_k^ij
  Grad-CAM++: alpha_k^ij = g^2 / (2 g^2 + sum_ab A_k^ab g^3)  (0 where the denominator is 0),
              w_k = sum_ij alpha_k^ij ReLU(g_k^ij),  map = ReLU(sum_k w_k A_k)
(Chattopadhay et al. 2018, closed form for an exponential output, with g = dY_c/dA).

The video reference (tiny_video_cam_reference.json) has the same formulas with the sums and means
over all T' x h x w positions, and every array flattened in row-major order with its shape:
"input_formula", "input_shape" [3,T,H,W] and "input_layout" "CTHW" (the clip is computed in
float64 and rounded to float32; mean 0, std 1: no normalisation), "label", "logits" [C],
"activations_shape" [K,T',h,w], "activations", "gradients", "map_shape" [T',h,w], "gradcam",
"gradcampp" (before upsampling and before the division by the maximum), plus "model" and
"target_layer". Floats are written with 9 significant digits (exact for float32 values).

Deterministic: every model and image is drawn from its own torch.manual_seed.
"""
import argparse
import json
import os

import numpy as np
import torch
import torch.nn as nn
from PIL import Image

REGION_ROWS = (8, 16)   # rows 8..15 (0-based, end exclusive)
REGION_COLS = (16, 24)  # cols 16..23
MAX_FILE_BYTES = 50 * 1024         # every file, except the ones below
MAX_VIDEO_FILE_BYTES = 200 * 1024  # tiny_video_cam_reference.json: 3072 activations and gradients
VIDEO_REGION = {"frames": [2, 4], "rows": [8, 15], "cols": [16, 23]}  # 0-based, inclusive
VIDEO_REGION_GAIN, VIDEO_REGION_BIAS = 20.0, -5.0
# DistractorModel's regions A (class 0), B (the distractor), C (class 1): (rows, cols), end exclusive.
DISTRACTOR_REGIONS = {"A": ((4, 12), (4, 12)), "B": ((4, 12), (20, 28)), "C": ((20, 28), (12, 20))}
VIDEO_CLIP_FORMULA = "x[c,t,i,j] = 0.5 + 0.5 * sin(0.3*i + 0.2*j + 0.5*t + c)"


def borex_metadata(**fields):
    """The "borex.json" extra file of the shared borex model-metadata contract."""
    meta = {"format": "borex-model/1", "task": "image-classification", "output": "logits"}
    meta.update(fields)
    return {"borex.json": json.dumps(meta)}


def identity_conv():
    """A 1x1 convolution that is an exact identity (features(x) == x), for Grad-CAM."""
    conv = nn.Conv2d(3, 3, kernel_size=1, bias=True)
    with torch.no_grad():
        conv.weight.copy_(torch.eye(3).view(3, 3, 1, 1))
        conv.bias.zero_()
    return conv


class RegionModel(nn.Module):
    """Logit 0 = 20 * mean(region) - 5, logit 1 = 0: the score depends only on the region."""

    def __init__(self):
        super().__init__()
        self.features = identity_conv()

    def forward(self, x):
        x = self.features(x)
        region = x[:, :, 8:16, 16:24]  # REGION_ROWS x REGION_COLS
        target = 20.0 * region.mean(dim=(1, 2, 3)) - 5.0
        return torch.stack([target, torch.zeros_like(target)], dim=1)


class DistractorModel(nn.Module):
    """Logit 0 = 8 * (mean(A) - 2 * mean(B)) + 4, logit 1 = 8 * mean(C) - 4, logit 2 = 0 (regions:
    DISTRACTOR_REGIONS): B is a distractor that hinders class 0, C supports class 1."""

    def __init__(self):
        super().__init__()
        self.features = identity_conv()

    def forward(self, x):
        x = self.features(x)
        a = x[:, :, 4:12, 4:12].mean(dim=(1, 2, 3))
        b = x[:, :, 4:12, 20:28].mean(dim=(1, 2, 3))
        c = x[:, :, 20:28, 12:20].mean(dim=(1, 2, 3))
        target = 8.0 * (a - 2.0 * b) + 4.0
        return torch.stack([target, 8.0 * c - 4.0, torch.zeros_like(target)], dim=1)


class BadOutputModel(nn.Module):
    """Returns [N, 3, 2]: not logits [N, C]."""

    def forward(self, x):
        return x.mean(dim=(2, 3)).unsqueeze(2).repeat(1, 1, 2)


class TinyCam(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 4, kernel_size=3, padding=1), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


class NestedCam(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Sequential(nn.Conv2d(3, 4, kernel_size=3, padding=1), nn.ReLU()),
            nn.Sequential(nn.Conv2d(4, 5, kernel_size=3, padding=1), nn.ReLU()))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(5, 2)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.backbone(x)), 1))


class VideoRegionModel(nn.Module):
    """Logit 0 = 20 * mean(x[:, :, 2:5, 8:16, 16:24]) - 5 of an NCTHW clip (frames 2..4, rows
    8..15, cols 16..23: VIDEO_REGION), logit 1 = 0. With `ntchw` the input is [N,T,3,H,W] and is
    permuted to NCTHW first. `features` is an exact identity 1x1x1 convolution."""

    def __init__(self, ntchw: bool):
        super().__init__()
        self.ntchw = ntchw
        self.features = nn.Conv3d(3, 3, kernel_size=1, bias=True)
        with torch.no_grad():  # an exact identity: features(x) == x
            self.features.weight.copy_(torch.eye(3).view(3, 3, 1, 1, 1))
            self.features.bias.zero_()

    def forward(self, x):
        if self.ntchw:
            x = x.permute(0, 2, 1, 3, 4)
        x = self.features(x)
        region = x[:, :, 2:5, 8:16, 16:24]  # VIDEO_REGION
        target = 20.0 * region.mean(dim=(1, 2, 3, 4)) - 5.0  # VIDEO_REGION_GAIN, _BIAS
        return torch.stack([target, torch.zeros_like(target)], dim=1)


class TinyVideoCam(nn.Module):
    """A tiny 3D CNN; its target layer "features.2" is the second convolution (before ReLU)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv3d(3, 4, kernel_size=3, padding=1), nn.ReLU(),
            nn.Conv3d(4, 6, kernel_size=3, stride=(1, 2, 2), padding=1), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool3d(1)
        self.fc = nn.Linear(6, 3)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


def grad_cam(activations, gradients):
    """Grad-CAM map [h,w] (or [T',h,w]) from A and g = dY_c/dA, both [K,h,w] (or [K,T',h,w])
    float64; the means and sums run over all positions."""
    positions = tuple(range(1, activations.dim()))
    per_channel = (-1,) + (1,) * len(positions)
    alpha = gradients.mean(dim=positions)
    return torch.relu((alpha.view(per_channel) * activations).sum(0))


def grad_cam_plus_plus(activations, gradients):
    """Grad-CAM++ map [h,w] (or [T',h,w]; exponential-output closed form) from A and g, both
    [K,h,w] (or [K,T',h,w])."""
    positions = tuple(range(1, activations.dim()))
    per_channel = (-1,) + (1,) * len(positions)
    g2, g3 = gradients ** 2, gradients ** 3
    denominator = 2 * g2 + activations.sum(dim=positions).view(per_channel) * g3
    safe = torch.where(denominator != 0, denominator, torch.ones_like(denominator))
    alpha = torch.where(denominator != 0, g2 / safe, torch.zeros_like(g2))
    weights = (alpha * torch.relu(gradients)).sum(dim=positions)
    return torch.relu((weights.view(per_channel) * activations).sum(0))


def layer_gradients(model, layer_path, example, label):
    """Logits [C], activations A and gradients dY_label/dA (float64, batch dimension removed) of
    submodule `layer_path` for one input `example` (no batch dimension).

    A is captured with a forward hook on the submodule, dY_label/dA with autograd
    (retain_grad on the hooked output).
    """
    layer = model.get_submodule(layer_path)
    captured = {}

    def keep_output(_module, _inputs, output):
        output.retain_grad()
        captured["activation"] = output

    handle = layer.register_forward_hook(keep_output)
    logits = model(example.unsqueeze(0))
    handle.remove()
    logits[0, label].backward()
    return (logits[0].detach(), captured["activation"][0].detach().double(),
            captured["activation"].grad[0].double())


def cam_reference(model, layer_path, image, label):
    """Reference activations, gradients, logits and CAMs of submodule `layer_path` for `label`;
    the maps are computed explicitly in float64."""
    logits, activations, gradients = layer_gradients(model, layer_path, image, label)
    return {"model": type(model).__name__, "target_layer": layer_path,
            "image": image.tolist(), "label": label, "logits": logits.tolist(),
            "activations": activations.tolist(), "gradients": gradients.tolist(),
            "gradcam": grad_cam(activations, gradients).tolist(),
            "gradcampp": grad_cam_plus_plus(activations, gradients).tolist()}


def flat_floats(tensor):
    """Row-major list of the values, with 9 significant digits (exact for float32 values)."""
    return [float(f"{v:.9g}") for v in tensor.flatten().tolist()]


def video_clip_from_formula(channels, frames, height, width):
    """The reference clip [C,T,H,W] of VIDEO_CLIP_FORMULA, computed in float64, then float32."""
    c, t, i, j = torch.meshgrid(*(torch.arange(n, dtype=torch.float64)
                                  for n in (channels, frames, height, width)), indexing="ij")
    return (0.5 + 0.5 * torch.sin(0.3 * i + 0.2 * j + 0.5 * t + c)).float()


def video_cam_reference(model, layer_path, clip, label):
    """Like cam_reference for a clip [3,T,H,W] and a 5-D target layer: everything flattened."""
    logits, activations, gradients = layer_gradients(model, layer_path, clip, label)
    return {"model": type(model).__name__, "target_layer": layer_path,
            "input_formula": VIDEO_CLIP_FORMULA, "input_shape": list(clip.shape),
            "input_layout": "CTHW", "label": label, "logits": flat_floats(logits),
            "activations_shape": list(activations.shape),
            "activations": flat_floats(activations), "gradients": flat_floats(gradients),
            "map_shape": list(activations.shape[1:]),
            "gradcam": flat_floats(grad_cam(activations, gradients)),
            "gradcampp": flat_floats(grad_cam_plus_plus(activations, gradients))}


def check_tiny_video_gradients(model, clip, reference):
    """Independent check: the target layer feeds ReLU and global average pooling, so
    dY_c/dA_k^tij = fc.weight[c,k] / (T'*h*w) where A_k^tij > 0, else 0."""
    shape = reference["activations_shape"]
    activations = torch.tensor(reference["activations"], dtype=torch.float64).view(shape)
    gradients = torch.tensor(reference["gradients"], dtype=torch.float64).view(shape)
    positions = shape[1] * shape[2] * shape[3]
    weight = model.fc.weight[reference["label"]].detach().double()
    expected = (weight.view(-1, 1, 1, 1) / positions) * (activations > 0)
    assert torch.allclose(gradients, expected, atol=1e-7), "bad video gradients"
    for key in ("gradcam", "gradcampp"):
        positive = sum(v > 0 for v in reference[key])
        assert 0.2 * len(reference[key]) < positive < 0.8 * len(reference[key]), f"degenerate {key}"


def check_tiny_gradients(model, reference):
    """Independent check: with global average pooling, dY_c/dA_k^ij = fc.weight[c,k] / (h*w)."""
    gradients = torch.tensor(reference["gradients"])
    h, w = gradients.shape[1:]
    expected = model.fc.weight[reference["label"]].detach()[:, None, None] / (h * w)
    assert torch.allclose(gradients, expected.expand_as(gradients), atol=1e-7), "bad gradients"


class ChannelModel(nn.Module):
    """Logits read feature channels: 0 <- blue - red, 1 <- red - blue, 2 <- (R+G)/2."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 4, kernel_size=4, stride=4), nn.ReLU())
        weight = torch.zeros(4, 3, 4, 4)
        for channel, rgb in enumerate([(1, 0, 0), (0, 1, 0), (0, 0, 1), (0.5, 0.5, 0)]):
            for c in range(3):
                weight[channel, c] = rgb[c] / 16.0
        with torch.no_grad():
            self.features[0].weight.copy_(weight)
            self.features[0].bias.zero_()

    def forward(self, x):
        m = self.features(x).mean(dim=(2, 3))
        blue_minus_red = 10.0 * (m[:, 2] - m[:, 0])
        return torch.stack([blue_minus_red, -blue_minus_red, 5.0 * m[:, 3]], dim=1)


def opticam_reference(model, image, label, iterations, lr, normalization):
    """Opti-CAM by autograd: maximise logit_label(x * n(up(sum_k softmax(u)_k A_k)))."""
    features = model.features(image[None]).detach()[0]  # post-ReLU [K, h, w]
    u = torch.full((features.shape[0],), 0.5, requires_grad=True)
    optimizer = torch.optim.Adam([u], lr=lr)

    def masked(u):
        s = (torch.softmax(u, 0)[:, None, None] * features).sum(0)
        up = nn.functional.interpolate(s[None, None], size=image.shape[1:], mode="bilinear",
                                       align_corners=False)[0, 0]
        if normalization == "max":
            saliency = up / up.max()
        else:
            saliency = (up - up.min()) / (up.max() - up.min())
        return saliency, model((image * saliency)[None])[0, label]

    for _ in range(iterations):
        _, logit = masked(u)
        optimizer.zero_grad()
        (-logit).backward()
        optimizer.step()
    saliency, logit = masked(u)
    return {"weights": torch.softmax(u, 0).tolist(), "map": saliency.tolist(),
            "logit": logit.item()}


def save_model(module, path, extra_files=None):
    torch.jit.save(module, path, _extra_files=extra_files or {})
    return path


def main():
    default_out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data")
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.normpath(default_out),
                        help="output directory (default: tests/data of this checkout)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    os.makedirs(args.out, exist_ok=True)
    written = []

    def out(name):
        path = os.path.join(args.out, name)
        written.append(path)
        return path

    # (a), (d), (e): the region model, its bad-output sibling, and a copy without metadata.
    torch.manual_seed(0)
    region_meta = borex_metadata(
        class_names=["target", "other"], input_size=[32, 32], mean=[0, 0, 0], std=[1, 1, 1],
        target_layer="features",
        description="test model: logit 0 = 20*mean(rows 8-15, cols 16-23) - 5, logit 1 = 0")
    region = torch.jit.script(RegionModel().eval())
    save_model(region, out("region_model.pt"), region_meta)
    save_model(region, out("no_metadata_model.pt"))
    save_model(torch.jit.script(BadOutputModel().eval()), out("bad_output_model.pt"), region_meta)

    # (f): images where the region is white on grey.
    image = np.full((32, 32, 3), 128, np.uint8)
    image[REGION_ROWS[0]:REGION_ROWS[1], REGION_COLS[0]:REGION_COLS[1]] = 255
    Image.fromarray(image).save(out("region_image.png"))
    large = np.full((40, 48, 3), 128, np.uint8)
    large[10:20, 24:36] = 255  # the region scaled by 40/32 (rows) and 48/32 (cols)
    Image.fromarray(large).save(out("region_image_40x48.png"))
    x = torch.from_numpy(image).permute(2, 0, 1).float().unsqueeze(0) / 255.0
    p_target = torch.softmax(region(x), 1)[0, 0].item()
    assert p_target > 0.99, p_target

    # (i): the distractor model and its image.
    distractor = torch.jit.script(DistractorModel().eval())
    save_model(distractor, out("distractor_model.pt"), borex_metadata(
        class_names=["target", "other", "rest"], input_size=[32, 32], mean=[0, 0, 0],
        std=[1, 1, 1], target_layer="features",
        description="test model: logit 0 = 8*(mean(A) - 2*mean(B)) + 4 with A = rows 4-11 x "
                    "cols 4-11, B = rows 4-11 x cols 20-27; logit 1 = 8*mean(C) - 4 with C = "
                    "rows 20-27 x cols 12-19; logit 2 = 0"))
    distractor_image = np.full((32, 32, 3), 128, np.uint8)
    for name, value in (("A", 255), ("B", 102), ("C", 255)):
        (r0, r1), (c0, c1) = DISTRACTOR_REGIONS[name]
        distractor_image[r0:r1, c0:c1] = value
    Image.fromarray(distractor_image).save(out("distractor_image.png"))
    with torch.no_grad():
        dx = torch.from_numpy(distractor_image).permute(2, 0, 1).float().unsqueeze(0) / 255.0
        p = torch.softmax(distractor(dx), 1)[0]
        assert p.argmax().item() == 0 and abs(p[0].item() - 0.83) < 0.01, p
        random_image = torch.rand(2, 3, 32, 32)
        means = {name: random_image[:, :, r0:r1, c0:c1].mean(dim=(1, 2, 3))
                 for name, ((r0, r1), (c0, c1)) in DISTRACTOR_REGIONS.items()}
        expected = torch.stack([8 * (means["A"] - 2 * means["B"]) + 4, 8 * means["C"] - 4,
                                torch.zeros(2)], dim=1)
        assert torch.allclose(distractor(random_image), expected, atol=1e-5)

    # (b): the tiny Grad-CAM network, scripted and traced, and its reference values.
    torch.manual_seed(1)
    tiny = TinyCam().eval()
    tiny_meta = borex_metadata(class_names=["a", "b", "c"], input_size=[8, 8], mean=[0, 0, 0],
                               std=[1, 1, 1], target_layer="features",
                               description="Grad-CAM test model (scripts/make_test_models.py)")
    tiny_image = torch.rand(3, 8, 8)
    save_model(torch.jit.script(tiny), out("tiny_cam_scripted.pt"), tiny_meta)
    save_model(torch.jit.trace(tiny, tiny_image.unsqueeze(0)), out("tiny_cam_traced.pt"),
               tiny_meta)
    tiny_reference = cam_reference(tiny, "features", tiny_image, 1)
    check_tiny_gradients(tiny, tiny_reference)
    with open(out("tiny_cam_reference.json"), "w") as f:
        json.dump(tiny_reference, f)

    # (c): a nested target layer, "backbone.1".
    torch.manual_seed(2)
    nested = NestedCam().eval()
    nested_meta = borex_metadata(class_names=["x", "y"], input_size=[8, 8], mean=[0, 0, 0],
                                 std=[1, 1, 1], target_layer="backbone.1",
                                 description="nested Grad-CAM test model "
                                             "(scripts/make_test_models.py)")
    nested_image = torch.rand(3, 8, 8)
    save_model(torch.jit.script(nested), out("nested_cam_scripted.pt"), nested_meta)
    with open(out("nested_cam_reference.json"), "w") as f:
        json.dump(cam_reference(nested, "backbone.1", nested_image, 0), f)

    # (g): the video region models (NCTHW and NTCHW) and their description.
    frames, rows, cols = (range(a, b + 1) for a, b in (VIDEO_REGION["frames"],
                                                        VIDEO_REGION["rows"],
                                                        VIDEO_REGION["cols"]))
    video_region_fields = dict(
        task="video-classification", class_names=["target", "other"], input_size=[32, 32],
        frames=8, frame_stride=1, mean=[0, 0, 0], std=[1, 1, 1], target_layer="features")
    video_region_description = ("test model: logit 0 = 20*mean(frames 2-4, rows 8-15, "
                                "cols 16-23) - 5, logit 1 = 0")
    video_region = torch.jit.script(VideoRegionModel(ntchw=False).eval())
    save_model(video_region, out("video_region_model.pt"), borex_metadata(
        layout="NCTHW", description=video_region_description + " (input NCTHW)",
        **video_region_fields))
    video_region_ntchw = torch.jit.script(VideoRegionModel(ntchw=True).eval())
    save_model(video_region_ntchw, out("video_region_model_ntchw.pt"), borex_metadata(
        layout="NTCHW", description=video_region_description + " (input NTCHW)",
        **video_region_fields))
    with open(out("video_region_model.json"), "w") as f:
        json.dump({"models": {"video_region_model.pt": "NCTHW",
                              "video_region_model_ntchw.pt": "NTCHW"},
                   "input_shape_ncthw": [3, 8, 32, 32], "class_names": ["target", "other"],
                   "region": VIDEO_REGION, "indexing": "0-based, inclusive",
                   "gain": VIDEO_REGION_GAIN, "bias": VIDEO_REGION_BIAS,
                   "logit0": "gain * mean of x over the 3 channels and the region's frames, "
                             "rows and cols + bias",
                   "logit1": 0.0}, f, indent=2)
        f.write("\n")
    # Checks: the formula on a random clip; a white region on black in frames 2..4 gives
    # "target" (p ~ 1), the same region in the other frames only gives "other" (p ~ 0.007).
    random_clip = torch.rand(2, 3, 8, 32, 32)
    expected = VIDEO_REGION_GAIN * random_clip[:, :, frames][:, :, :, rows][:, :, :, :, cols].mean(
        dim=(1, 2, 3, 4)) + VIDEO_REGION_BIAS
    with torch.no_grad():
        assert torch.allclose(video_region(random_clip)[:, 0], expected, atol=1e-5)
        assert torch.equal(video_region(random_clip),
                           video_region_ntchw(random_clip.permute(0, 2, 1, 3, 4)))
        inside, outside = torch.zeros(1, 3, 8, 32, 32), torch.zeros(1, 3, 8, 32, 32)
        inside[:, :, frames.start:frames.stop, rows.start:rows.stop, cols.start:cols.stop] = 1.0
        outside[:, :, :, rows.start:rows.stop, cols.start:cols.stop] = 1.0
        outside[:, :, frames.start:frames.stop] = 0.0
        assert torch.softmax(video_region(inside), 1)[0, 0] > 0.99
        assert torch.softmax(video_region(outside), 1)[0, 0] < 0.01

    # (h): the tiny 3D CNN for video Grad-CAM(++) and its reference values.
    torch.manual_seed(9)  # seed picked so that both maps are partly positive, partly zero
    tiny_video = TinyVideoCam().eval()
    save_model(torch.jit.script(tiny_video), out("tiny_video_cam.pt"), borex_metadata(
        task="video-classification", class_names=["a", "b", "c"], input_size=[16, 16], frames=8,
        frame_stride=1, layout="NCTHW", mean=[0, 0, 0], std=[1, 1, 1], target_layer="features.2",
        description="video Grad-CAM test model (scripts/make_test_models.py)"))
    tiny_clip = video_clip_from_formula(3, 8, 16, 16)
    tiny_video_reference = video_cam_reference(tiny_video, "features.2", tiny_clip, 1)
    check_tiny_video_gradients(tiny_video, tiny_clip, tiny_video_reference)
    with open(out("tiny_video_cam_reference.json"), "w") as f:
        json.dump(tiny_video_reference, f)

    # (i): the Opti-CAM channel model, its known-answer image and the autograd reference.
    channel = ChannelModel().eval()
    save_model(torch.jit.script(channel), out("channel_model.pt"), borex_metadata(
        class_names=["blue", "red", "yellowish"], input_size=[32, 32], mean=[0, 0, 0],
        std=[1, 1, 1], target_layer="features",
        description="Opti-CAM test model: logit 0 = 10*(mean(blue) - mean(red)), 1 = -logit 0, "
                    "2 = 5*mean((R+G)/2)"))
    bands = np.zeros((32, 32, 3), np.uint8)
    bands[:, :12, 2] = 255
    bands[:, 12:20, 0] = 255
    bands[:, 20:, 1] = 255
    Image.fromarray(bands).save(out("channel_image.png"))
    i, j = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
    smooth = torch.stack([0.5 + 0.5 * torch.sin(0.3 * i + 0.2 * j + c) for c in range(3)])
    opticam = {"model": "channel_model.pt", "label": 0, "iterations": 5, "learning_rate": 0.1,
               "input_formula": "x[c,i,j] = 0.5 + 0.5 * sin(0.3*i + 0.2*j + c)"}
    for normalization in ("max", "minmax"):
        opticam[normalization] = opticam_reference(channel, smooth, 0, 5, 0.1, normalization)
    with open(out("opticam_reference.json"), "w") as f:
        json.dump(opticam, f)

    # Every exported model must reproduce the eager one, and every file must stay tiny.
    for path, eager, example in [("tiny_cam_scripted.pt", tiny, tiny_image),
                                 ("tiny_cam_traced.pt", tiny, tiny_image),
                                 ("nested_cam_scripted.pt", nested, nested_image),
                                 ("tiny_video_cam.pt", tiny_video, tiny_clip)]:
        loaded = torch.jit.load(os.path.join(args.out, path))
        assert torch.allclose(loaded(example[None]), eager(example[None])), path
    for path in written:
        size = os.path.getsize(path)
        limit = (MAX_VIDEO_FILE_BYTES if os.path.basename(path) == "tiny_video_cam_reference.json"
                 else MAX_FILE_BYTES)
        assert size < limit, f"{path} is {size} bytes"
        print(f"make_test_models: wrote {path} ({size} bytes)")


if __name__ == "__main__":
    main()
