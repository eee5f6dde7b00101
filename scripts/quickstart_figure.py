#!/usr/bin/python3
"""Draws the quick start's picture for the README: the image with its ground-truth boxes, the
prior and the refined map, side by side, each map min-max normalised in the JET colour map at
alpha 0.5 over the image (as pytorch-grad-cam's show_cam_on_image and the BOREx authors' code
draw maps), with its top 5% of pixels outlined in white.

Needs Debian's python3-matplotlib (apt-get install python3-matplotlib). Usage, after
scripts/quickstart.sh:
  /usr/bin/python3 scripts/quickstart_figure.py --image examples/scene_multi.png \\
      --annotation examples/scene_multi.xml --prior out/scene_multi_rise.npy \\
      --refined out/scene_multi_borex.npy --out docs/quickstart_scene_multi.png
"""
import argparse
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.patches as patches  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402


def boxes(path):
    text = open(path).read()
    return [tuple(int(re.search(f"<{k}>(\\d+)</{k}>", box).group(1))
                  for k in ("xmin", "ymin", "xmax", "ymax"))
            for box in re.findall(r"<bndbox>.*?</bndbox>", text, re.S)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image", required=True)
    parser.add_argument("--annotation", required=True)
    parser.add_argument("--prior", required=True, help="the prior map (.npy, HxW)")
    parser.add_argument("--refined", required=True, help="the refined map (.npy, HxW)")
    parser.add_argument("--prior-title", default="prior: RISE, 100 masks")
    parser.add_argument("--refined-title", default="BOREx, defaults (100 model calls)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    image = np.asarray(Image.open(args.image).convert("RGB"))
    panels = [("image, target boxes", None), (args.prior_title, np.load(args.prior)),
              (args.refined_title, np.load(args.refined))]
    figure, axes = plt.subplots(1, 3, figsize=(9, 3.3), dpi=100)
    for axis, (title, sal) in zip(axes, panels):
        axis.imshow(image)
        if sal is not None:
            sal = np.asarray(sal, dtype=np.float64)
            span = sal.max() - sal.min()
            normalised = (sal - sal.min()) / span if span > 0 else np.zeros_like(sal)
            axis.imshow(normalised, cmap="jet", alpha=0.5,
                        extent=(-0.5, image.shape[1] - 0.5, image.shape[0] - 0.5, -0.5))
            top = sal >= np.quantile(sal, 0.95)
            axis.contour(top.astype(float), levels=[0.5], colors="white", linewidths=1.0)
        for xmin, ymin, xmax, ymax in boxes(args.annotation):
            axis.add_patch(patches.Rectangle((xmin - 1.5, ymin - 1.5), xmax - xmin + 1,
                                             ymax - ymin + 1, fill=False, edgecolor="lime",
                                             linewidth=1.2))
        axis.set_title(title, fontsize=9)
        axis.axis("off")
    figure.tight_layout()
    figure.savefig(args.out)


if __name__ == "__main__":
    main()
