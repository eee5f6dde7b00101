#!/usr/bin/python3
"""Exports a torchvision classifier to a borex-ready TorchScript file.

The file carries borex metadata (a "borex.json" TorchScript extra file): the 1000 ImageNet class
names (from torchvision's weight metadata, no download needed), input size 224x224, ImageNet
mean/std and the Grad-CAM target layer, so `borex refine --model OUT --image I` needs no other flag.

Usage:
  /usr/bin/python3 scripts/export_torchvision.py --arch resnet50 --weights pretrained --out resnet50.pt
  /usr/bin/python3 scripts/export_torchvision.py --arch resnet18 --weights random --seed 0 --out r18.pt
`--weights pretrained` downloads torchvision's ImageNet weights (needs internet); `random` uses a
seeded random initialisation (for speed tests and for testing this script offline).
"""
import argparse
import json

import torch
import torchvision

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def default_target_layer(arch):
    if arch.startswith(("resnet", "resnext", "wide_resnet", "regnet")):
        return "layer4"
    if arch.startswith(("vgg", "alexnet", "densenet", "mobilenet", "efficientnet", "squeezenet",
                        "convnext", "mnasnet")):
        return "features"
    return ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--arch", required=True, help="torchvision model name, e.g. resnet50")
    parser.add_argument("--weights", choices=["pretrained", "random"], default="pretrained")
    parser.add_argument("--out", required=True)
    parser.add_argument("--target-layer", default=None, help="Grad-CAM layer (default: by arch)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--trace", action="store_true", help="trace instead of script")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    weights_enum = torchvision.models.get_model_weights(args.arch).DEFAULT
    weights = weights_enum if args.weights == "pretrained" else None
    model = torchvision.models.get_model(args.arch, weights=weights).eval()
    meta = {"format": "borex-model/1", "task": "image-classification",
            "class_names": list(weights_enum.meta["categories"]), "input_size": [224, 224],
            "mean": IMAGENET_MEAN, "std": IMAGENET_STD,
            "target_layer": args.target_layer if args.target_layer is not None
            else default_target_layer(args.arch),
            "output": "logits",
            "description": f"torchvision {args.arch}, {args.weights} weights"}
    example = torch.rand(1, 3, 224, 224)
    exported = None
    if not args.trace:
        try:
            exported = torch.jit.script(model)
        except Exception as error:  # some architectures do not script; tracing still works
            print(f"export_torchvision: scripting failed ({error}); tracing instead")
    if exported is None:
        exported = torch.jit.trace(model, example)
    with torch.no_grad():
        if not torch.allclose(exported(example), model(example), atol=1e-4):
            raise SystemExit("export_torchvision: exported model disagrees with the original")
    torch.jit.save(exported, args.out, _extra_files={"borex.json": json.dumps(meta)})
    print(f"export_torchvision: wrote {args.out} ({args.arch}, {args.weights} weights, "
          f"target layer {meta['target_layer']!r})")


if __name__ == "__main__":
    main()
