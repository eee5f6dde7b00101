#!/usr/bin/python3
"""Wraps a borex image model so that it takes another input size, the same classifier inside.

The wrapper resizes its input to the wrapped model's own input size (bilinear, antialiased when
shrinking) and runs the model on it; its metadata is the model's with the new input_size and the
target layer under the wrapper ("net.layer4"). Since borex works at the model's input size (the
working image), a run with the wrapper asks the same classifier the same questions at another
resolution: what changes is only what borex's own settings in pixels (Felzenszwalb's segment
scale, the candidate stride) mean relative to the image. Issue 11's thirty-ninth round
(docs/algorithm.md) uses it to check that the defaults chosen on 128 x 128 scenes hold at 224
and at 96.

  /usr/bin/python3 scripts/resized_model.py --model models/fashion_shifted_resnet.pt \\
      --input-size 224 --out out/refinement39/fashion_shifted_resnet_224.pt

Needs Debian's torch (/usr/bin/python3).
"""
import argparse
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pick_examples import load_borex_model  # noqa: E402


class Resized(torch.nn.Module):
    """net(resize(x)): x of any size, resized to `inner` (H, W) before the wrapped model."""

    def __init__(self, net, inner):
        super().__init__()
        self.net = net
        self.inner = list(inner)

    def forward(self, x):
        shrinking = x.shape[-2] > self.inner[0] or x.shape[-1] > self.inner[1]
        x = F.interpolate(x, size=self.inner, mode="bilinear", align_corners=False,
                          antialias=shrinking)
        return self.net(x)


def wrap(model, meta, size):
    """The scripted wrapper of `model` taking size (H, W), and its metadata."""
    if meta.get("task", "image-classification") != "image-classification":
        raise SystemExit("resized_model: only image classifiers can be wrapped")
    inner = meta.get("input_size")
    if not inner:
        raise SystemExit("resized_model: the model's metadata names no input_size")
    wrapped = torch.jit.script(Resized(model, inner).eval())
    out_meta = dict(meta)
    out_meta["input_size"] = list(size)
    if meta.get("target_layer"):
        out_meta["target_layer"] = "net." + meta["target_layer"]
    out_meta["description"] = (f"{meta.get('description', 'a borex model')}; wrapped to take "
                               f"{size[0]}x{size[1]} input, resized to {inner[0]}x{inner[1]} "
                               f"inside (scripts/resized_model.py)")
    return wrapped, out_meta


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="a borex TorchScript image model")
    parser.add_argument("--input-size", required=True, type=int, nargs="+", metavar="N",
                        help="the wrapper's input size: N (square) or H W")
    parser.add_argument("--out", required=True, help="the wrapper's TorchScript file")
    args = parser.parse_args()
    size = args.input_size * 2 if len(args.input_size) == 1 else args.input_size
    if len(size) != 2 or min(size) <= 0:
        parser.error("--input-size: give N or H W, positive")
    if not os.path.isfile(args.model):
        parser.error(f"--model: {args.model}: no such file")
    torch.set_num_threads(2)
    model, meta = load_borex_model(args.model)
    wrapped, out_meta = wrap(model, meta, size)
    probe = torch.rand(2, 3, *size, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():  # the scripted wrapper against the eager one
        if not torch.allclose(wrapped(probe), Resized(model, meta["input_size"])(probe), atol=1e-5):
            raise SystemExit("resized_model: the scripted wrapper differs from the eager one")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    torch.jit.save(wrapped, args.out, _extra_files={"borex.json": json.dumps(out_meta)})
    print(f"resized_model: {args.out}: {size[0]}x{size[1]} input around {args.model}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
