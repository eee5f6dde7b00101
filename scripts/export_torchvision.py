#!/usr/bin/python3
"""Exports a torchvision classifier to a borex-ready TorchScript file.

The file carries borex metadata (a "borex.json" TorchScript extra file): the 1000 ImageNet class
names (from torchvision's weight metadata, which ships with torchvision: no download), input size
224x224, ImageNet mean/std and the Grad-CAM target layer, so that
`borex refine --model OUT --image I` needs no other flag. The model is exported in eval mode with
torch.jit.script, falling back to torch.jit.trace when scripting fails (or with --trace), and the
exported model is checked against the eager one before it is saved.

Usage:
  /usr/bin/python3 scripts/export_torchvision.py --arch resnet50 --weights pretrained --out resnet50.pt
  /usr/bin/python3 scripts/export_torchvision.py --arch resnet18 --weights random --seed 0 \\
      --out /tmp/resnet18_random.pt
  /usr/bin/python3 scripts/export_torchvision.py --arch vgg16 --weights random --out /tmp/vgg.pt \\
      --target-layer features.29

--onnx writes an ONNX file (torch.onnx.export, opset 13, dynamic batch axis) instead, with the
same metadata as the ONNX metadata_props entry "borex.json"; borex runs it with OpenCV's DNN
module as a black box (RISE, BOREx, the metrics; not Grad-CAM). OpenCV 4.6 imports and runs
resnet*, vgg* and alexnet-style graphs; see docs/models.md for the architectures it does not.

  /usr/bin/python3 scripts/export_torchvision.py --arch resnet18 --weights random --onnx \
      --out /tmp/resnet18.onnx

--weights pretrained downloads torchvision's ImageNet weights (needs internet, or a filled
torch hub cache); --weights random uses a seeded random initialisation (for speed tests and for
testing borex offline; its predictions are meaningless; with --onnx its batch-norm statistics are
also drawn from the seed, see below).

Default target layers: resnet/resnext/wide_resnet/regnet: "layer4"; vgg, alexnet, densenet,
mobilenet, efficientnet, squeezenet, convnext, mnasnet: "features". Other architectures need
--target-layer (a submodule path such as "features.7").
"""
import argparse
import json
import sys

import os

import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from borex_onnx import export_onnx  # noqa: E402

INPUT_SIZE = [224, 224]
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def default_target_layer(arch):
    """The conventional Grad-CAM layer of a torchvision architecture, or None if unknown."""
    if arch.startswith(("resnet", "resnext", "wide_resnet", "regnet")):
        return "layer4"
    if arch.startswith(("vgg", "alexnet", "densenet", "mobilenet", "efficientnet", "squeezenet",
                        "convnext", "mnasnet")):
        return "features"
    return None


def export(model, example, force_trace):
    """TorchScript of `model`: scripted unless that fails or force_trace, else traced."""
    if not force_trace:
        try:
            return torch.jit.script(model), "script"
        except Exception as error:  # some architectures do not script; tracing still works
            print(f"export_torchvision: scripting failed ({type(error).__name__}: "
                  f"{str(error).splitlines()[0] if str(error) else ''}); tracing instead",
                  file=sys.stderr)
    return torch.jit.trace(model, example), "trace"


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", required=True,
                        help="torchvision classification model name, e.g. resnet18, resnet50")
    parser.add_argument("--weights", choices=["pretrained", "random"], default="pretrained",
                        help="ImageNet weights (download) or seeded random init "
                             "(default pretrained)")
    parser.add_argument("--out", required=True, help="output TorchScript file")
    parser.add_argument("--target-layer", default=None,
                        help="Grad-CAM submodule path (default: by architecture)")
    parser.add_argument("--seed", type=int, default=0, help="seed for --weights random")
    parser.add_argument("--trace", action="store_true", help="trace instead of script")
    parser.add_argument("--onnx", action="store_true",
                        help="write ONNX (with the metadata as metadata_props) instead of "
                             "TorchScript")
    args = parser.parse_args()
    torch.set_num_threads(2)

    if args.arch not in torchvision.models.list_models(module=torchvision.models):
        raise SystemExit(f"export_torchvision: unknown classification model {args.arch!r}; "
                         f"try one of resnet18, resnet50, vgg16, densenet121, mobilenet_v3_large")
    target_layer = args.target_layer or default_target_layer(args.arch)
    if target_layer is None:
        raise SystemExit(f"export_torchvision: no default Grad-CAM layer for {args.arch!r}; "
                         f"pass --target-layer")

    weights_enum = torchvision.models.get_model_weights(args.arch).DEFAULT
    torch.manual_seed(args.seed)
    try:
        model = torchvision.models.get_model(
            args.arch, weights=weights_enum if args.weights == "pretrained" else None).eval()
    except Exception as error:  # typically: no internet for the pretrained weights
        raise SystemExit(f"export_torchvision: could not build {args.arch} with "
                         f"{args.weights} weights: {error}")
    try:
        model.get_submodule(target_layer)
    except AttributeError:
        raise SystemExit(f"export_torchvision: {args.arch} has no submodule {target_layer!r}")

    class_names = list(weights_enum.meta["categories"])
    weights_text = (f"ImageNet {weights_enum.name}" if args.weights == "pretrained"
                    else f"random (seed {args.seed})")
    meta = {"format": "borex-model/1", "task": "image-classification",
            "class_names": class_names, "input_size": INPUT_SIZE,
            "mean": IMAGENET_MEAN, "std": IMAGENET_STD, "target_layer": target_layer,
            "output": "logits",
            "description": f"torchvision {torchvision.__version__} {args.arch}, {weights_text} "
                           f"weights, exported by scripts/export_torchvision.py"}

    example = torch.rand(2, 3, *INPUT_SIZE, generator=torch.Generator().manual_seed(args.seed))
    if args.onnx:
        if args.weights == "random":
            # An untrained network's batch-norm statistics are all 0 and 1: torch's exporter
            # merges them into shared initializers behind Identity nodes, which OpenCV 4.6's
            # importer rejects. Seeded statistics near those keep the graph importable.
            generator = torch.Generator().manual_seed(args.seed)
            for module in model.modules():
                if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                    count = module.running_mean.numel()
                    module.running_mean.copy_(0.1 * torch.rand(count, generator=generator) - 0.05)
                    module.running_var.copy_(0.9 + 0.2 * torch.rand(count, generator=generator))
        export_onnx(model, example, args.out, meta)
        print(f"export_torchvision: wrote {args.out} ({args.arch}, {args.weights} weights, ONNX "
              f"opset 13, dynamic batch, {len(class_names)} classes)")
        return
    exported, how = export(model, example, args.trace)
    with torch.no_grad():
        expected, actual = model(example), exported(example)
    if actual.shape != (2, len(class_names)):
        raise SystemExit(f"export_torchvision: output shape {tuple(actual.shape)}, expected "
                         f"[N, {len(class_names)}] logits")
    if not torch.allclose(actual, expected, atol=1e-4, rtol=1e-4):
        raise SystemExit("export_torchvision: the exported model disagrees with the original")
    torch.jit.save(exported, args.out, _extra_files={"borex.json": json.dumps(meta)})
    print(f"export_torchvision: wrote {args.out} ({args.arch}, {args.weights} weights, "
          f"torch.jit.{how}, target layer {target_layer!r}, {len(class_names)} classes)")


if __name__ == "__main__":
    main()
