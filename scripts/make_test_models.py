#!/usr/bin/python3
"""Writes the tiny TorchScript models and reference values the C++ tests use (tests/data/).

Usage: /usr/bin/python3 scripts/make_test_models.py [--out tests/data]

Every model carries borex metadata (a "borex.json" TorchScript extra file) except
no_metadata_model.pt. Reference Grad-CAM values are computed here with PyTorch autograd, so the
C++ implementation is checked against an independent computation. Deterministic (seeded).
"""
import argparse
import json
import os

import numpy as np
import torch
import torch.nn as nn
from PIL import Image

REGION_ROWS = (8, 16)  # rows 8..15
REGION_COLS = (16, 24)  # cols 16..23


def metadata(**fields):
    meta = {"format": "borex-model/1", "task": "image-classification", "output": "logits"}
    meta.update(fields)
    return {"borex.json": json.dumps(meta)}


class RegionModel(nn.Module):
    """Logit 0 = 20 * mean(region) - 5, logit 1 = 0: the score depends only on the region."""

    def __init__(self):
        super().__init__()
        self.features = nn.Identity()

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
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(self.features(x).mean(dim=(2, 3)))


class NestedCam(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU()),
            nn.Sequential(nn.Conv2d(4, 5, 3, padding=1), nn.ReLU()))
        self.fc = nn.Linear(5, 2)

    def forward(self, x):
        return self.fc(self.backbone(x).mean(dim=(2, 3)))


def cam_reference(model, layer, image, label):
    """Activations, gradients, Grad-CAM and Grad-CAM++ of `layer` for `label`, with hooks."""
    store = {}

    def hook(_module, _inputs, output):
        output.retain_grad()
        store["activation"] = output

    handle = layer.register_forward_hook(hook)
    logits = model(image.unsqueeze(0))
    handle.remove()
    logits[0, label].backward()
    a = store["activation"][0].detach().double()
    g = store["activation"].grad[0].double()
    gradcam = torch.relu((g.mean(dim=(1, 2))[:, None, None] * a).sum(0))
    g2, g3 = g ** 2, g ** 3
    denominator = 2 * g2 + a.sum(dim=(1, 2))[:, None, None] * g3
    alpha = torch.where(denominator != 0, g2 / torch.where(denominator != 0, denominator,
                                                           torch.ones_like(denominator)),
                        torch.zeros_like(g2))
    weights = (alpha * torch.relu(g)).sum(dim=(1, 2))
    gradcampp = torch.relu((weights[:, None, None] * a).sum(0))
    return {"image": image.tolist(), "label": label, "logits": logits[0].tolist(),
            "activations": a.tolist(), "gradients": g.tolist(),
            "gradcam": gradcam.tolist(), "gradcampp": gradcampp.tolist()}


def write_json(path, value):
    with open(path, "w") as out:
        json.dump(value, out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests", "data"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    out = lambda name: os.path.join(args.out, name)

    region_meta = metadata(class_names=["target", "other"], input_size=[32, 32], mean=[0, 0, 0],
                           std=[1, 1, 1], target_layer="features",
                           description="test model: logit 0 = 20*mean(rows 8-15, cols 16-23) - 5")
    region = torch.jit.script(RegionModel().eval())
    torch.jit.save(region, out("region_model.pt"), _extra_files=region_meta)
    torch.jit.save(region, out("no_metadata_model.pt"))
    torch.jit.save(torch.jit.script(BadOutputModel().eval()), out("bad_output_model.pt"),
                   _extra_files=region_meta)

    image = np.full((32, 32, 3), 128, np.uint8)
    image[REGION_ROWS[0]:REGION_ROWS[1], REGION_COLS[0]:REGION_COLS[1]] = 255
    Image.fromarray(image).save(out("region_image.png"))
    large = np.full((40, 48, 3), 128, np.uint8)
    large[10:20, 24:36] = 255  # the same region, scaled by 40/32 and 48/32
    Image.fromarray(large).save(out("region_image_40x48.png"))

    tiny = TinyCam().eval()
    tiny_meta = metadata(class_names=["a", "b", "c"], input_size=[8, 8], mean=[0, 0, 0],
                         std=[1, 1, 1], target_layer="features", description="Grad-CAM test model")
    example = torch.rand(1, 3, 8, 8)
    torch.jit.save(torch.jit.script(tiny), out("tiny_cam_scripted.pt"), _extra_files=tiny_meta)
    torch.jit.save(torch.jit.trace(tiny, example), out("tiny_cam_traced.pt"), _extra_files=tiny_meta)
    tiny_image = torch.rand(3, 8, 8)
    write_json(out("tiny_cam_reference.json"), cam_reference(tiny, tiny.features, tiny_image, 1))

    nested = NestedCam().eval()
    nested_meta = metadata(class_names=["x", "y"], input_size=[8, 8], mean=[0, 0, 0], std=[1, 1, 1],
                           target_layer="backbone.1", description="nested Grad-CAM test model")
    torch.jit.save(torch.jit.script(nested), out("nested_cam_scripted.pt"), _extra_files=nested_meta)
    nested_image = torch.rand(3, 8, 8)
    write_json(out("nested_cam_reference.json"),
               cam_reference(nested, nested.backbone[1], nested_image, 0))


if __name__ == "__main__":
    main()
