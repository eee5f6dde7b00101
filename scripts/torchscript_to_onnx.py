#!/usr/bin/python3
"""Converts a borex TorchScript model (a .pt with a "borex.json" extra file) to ONNX.

The ONNX file carries the same metadata (class names, input size, mean/std, video frames and
layout) as a metadata_props entry "borex.json", so `borex ... --model OUT.onnx` needs no flags.
No ONNX runtime ships with Debian's Python: borex's tests (tests/model/onnx_classifier_test.cc)
compare OpenCV's run of the export with LibTorch's run of the model.

Usage:
  /usr/bin/python3 scripts/torchscript_to_onnx.py --model models/fashion_scenes_resnet.pt \\
      --out fashion_scenes_resnet.onnx
  /usr/bin/python3 scripts/torchscript_to_onnx.py --model models/fashion_video_r2plus1d.pt \\
      --out video.onnx --batch 8

--batch 0 (default) exports a dynamic batch axis; --batch B fixes it to B, for graphs that
OpenCV 4.6 cannot run with a dynamic batch (reshapes that depend on it, as in the bundled video
model, which folds time into the batch): borex then feeds B inputs per forward pass.
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from borex_onnx import export_onnx  # noqa: E402


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="borex TorchScript model (.pt)")
    parser.add_argument("--out", required=True, help="output ONNX file (.onnx)")
    parser.add_argument("--batch", type=int, default=0,
                        help="fixed batch size of the graph (default 0: dynamic)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    extra = {"borex.json": ""}
    model = torch.jit.load(args.model, _extra_files=extra).eval()
    if not extra["borex.json"]:
        raise SystemExit(f"torchscript_to_onnx: {args.model} has no borex.json metadata")
    meta = json.loads(extra["borex.json"])
    height, width = meta["input_size"]
    if meta.get("frames"):
        frames = meta["frames"]
        shape = ([3, frames, height, width] if meta.get("layout", "NCTHW") == "NCTHW"
                 else [frames, 3, height, width])
    else:
        shape = [3, height, width]
    batch = args.batch if args.batch > 0 else 2
    example = torch.rand(batch, *shape, generator=torch.Generator().manual_seed(0))
    export_onnx(model, example, args.out, meta, args.batch)
    with torch.no_grad():
        logits = model(example)
    if logits.dim() != 2 or logits.shape[0] != batch:
        os.remove(args.out)
        raise SystemExit(f"torchscript_to_onnx: output shape {tuple(logits.shape)}, expected "
                         f"[N, C] logits")
    axis = f"batch {args.batch}" if args.batch else "dynamic batch"
    print(f"torchscript_to_onnx: wrote {args.out} ({axis}, input {[batch] + shape}, "
          f"{logits.shape[1]} classes)")


if __name__ == "__main__":
    main()
