#!/usr/bin/python3
"""Writes the tiny TorchScript models, images and reference values the C++ tests use.

Usage:
  /usr/bin/python3 scripts/make_test_models.py [--out tests/data]

Files written to --out (every model carries borex metadata in a "borex.json" TorchScript extra
file, except no_metadata_model.pt; every file is far below 50 KB):
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

Reference JSON keys: "image" [3][H][W] (CHW, RGB in [0,1], what the model gets: mean 0, std 1),
"label", "logits" [C], "activations" [K][h][w], "gradients" [K][h][w] (dY_label/dA of the logit),
"gradcam" [h][w] and "gradcampp" [h][w], plus "model" and "target_layer". A and dY/dA are
captured with a forward hook and autograd; the maps are computed explicitly in float64:
  Grad-CAM:   ReLU(sum_k alpha_k A_k),  alpha_k = mean_ij g_k^ij
  Grad-CAM++: alpha_k^ij = g^2 / (2 g^2 + sum_ab A_k^ab g^3)  (0 where the denominator is 0),
              w_k = sum_ij alpha_k^ij ReLU(g_k^ij),  map = ReLU(sum_k w_k A_k)
(Chattopadhay et al. 2018, closed form for an exponential output, with g = dY_c/dA).

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
MAX_FILE_BYTES = 50 * 1024


def borex_metadata(**fields):
    """The "borex.json" extra file of the shared borex model-metadata contract."""
    meta = {"format": "borex-model/1", "task": "image-classification", "output": "logits"}
    meta.update(fields)
    return {"borex.json": json.dumps(meta)}


class RegionModel(nn.Module):
    """Logit 0 = 20 * mean(region) - 5, logit 1 = 0: the score depends only on the region."""

    def __init__(self):
        super().__init__()
        self.features = nn.Conv2d(3, 3, kernel_size=1, bias=True)
        with torch.no_grad():  # an exact identity: features(x) == x
            self.features.weight.copy_(torch.eye(3).view(3, 3, 1, 1))
            self.features.bias.zero_()

    def forward(self, x):
        x = self.features(x)
        region = x[:, :, 8:16, 16:24]  # REGION_ROWS x REGION_COLS
        target = 20.0 * region.mean(dim=(1, 2, 3)) - 5.0
        return torch.stack([target, torch.zeros_like(target)], dim=1)


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


def grad_cam(activations, gradients):
    """Grad-CAM map [h,w] from A and g = dY_c/dA, both [K,h,w] float64."""
    alpha = gradients.mean(dim=(1, 2))
    return torch.relu((alpha[:, None, None] * activations).sum(0))


def grad_cam_plus_plus(activations, gradients):
    """Grad-CAM++ map [h,w] (exponential-output closed form) from A and g, both [K,h,w]."""
    g2, g3 = gradients ** 2, gradients ** 3
    denominator = 2 * g2 + activations.sum(dim=(1, 2))[:, None, None] * g3
    safe = torch.where(denominator != 0, denominator, torch.ones_like(denominator))
    alpha = torch.where(denominator != 0, g2 / safe, torch.zeros_like(g2))
    weights = (alpha * torch.relu(gradients)).sum(dim=(1, 2))
    return torch.relu((weights[:, None, None] * activations).sum(0))


def cam_reference(model, layer_path, image, label):
    """Reference activations, gradients, logits and CAMs of submodule `layer_path` for `label`.

    A is captured with a forward hook on the submodule, dY_label/dA with autograd
    (retain_grad on the hooked output); the maps are then computed explicitly in float64.
    """
    layer = model.get_submodule(layer_path)
    captured = {}

    def keep_output(_module, _inputs, output):
        output.retain_grad()
        captured["activation"] = output

    handle = layer.register_forward_hook(keep_output)
    logits = model(image.unsqueeze(0))
    handle.remove()
    logits[0, label].backward()
    activations = captured["activation"][0].detach().double()
    gradients = captured["activation"].grad[0].double()
    return {"model": type(model).__name__, "target_layer": layer_path,
            "image": image.tolist(), "label": label, "logits": logits[0].tolist(),
            "activations": activations.tolist(), "gradients": gradients.tolist(),
            "gradcam": grad_cam(activations, gradients).tolist(),
            "gradcampp": grad_cam_plus_plus(activations, gradients).tolist()}


def check_tiny_gradients(model, reference):
    """Independent check: with global average pooling, dY_c/dA_k^ij = fc.weight[c,k] / (h*w)."""
    gradients = torch.tensor(reference["gradients"])
    h, w = gradients.shape[1:]
    expected = model.fc.weight[reference["label"]].detach()[:, None, None] / (h * w)
    assert torch.allclose(gradients, expected.expand_as(gradients), atol=1e-7), "bad gradients"


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

    # Every exported model must reproduce the eager one, and every file must stay tiny.
    for path, eager, example in [("tiny_cam_scripted.pt", tiny, tiny_image),
                                 ("tiny_cam_traced.pt", tiny, tiny_image),
                                 ("nested_cam_scripted.pt", nested, nested_image)]:
        loaded = torch.jit.load(os.path.join(args.out, path))
        assert torch.allclose(loaded(example[None]), eager(example[None])), path
    for path in written:
        size = os.path.getsize(path)
        assert size < MAX_FILE_BYTES, f"{path} is {size} bytes"
        print(f"make_test_models: wrote {path} ({size} bytes)")


if __name__ == "__main__":
    main()
