"""What the project's training scripts share (scripts/train_scene_classifier.py and
scripts/train_video_classifier.py): the normalisation statistics of the training data, and
writing a trained model as a borex TorchScript file (optionally ONNX) with its facts beside it.
"""
import json
import os
import shlex
import sys

import numpy as np
import torch

from borex_onnx import export_onnx


def channel_mean_std(images, chunk=1000):
    """Per-channel mean and standard deviation of uint8 pixels [..., 3] on the [0,1] scale,
    rounded to 4 decimals (the metadata's mean and std). Exact integer sums over chunks of the
    first axis: converting a 16,000-scene train split to float64 at once took 13 GB."""
    total = np.zeros(3, np.int64)
    squares = np.zeros(3, np.int64)
    for begin in range(0, len(images), chunk):
        values = images[begin:begin + chunk].reshape(-1, 3).astype(np.int64)
        total += values.sum(0)
        squares += (values * values).sum(0)
    count = images.size // 3
    mean = total / count
    variance = np.maximum(squares / count - mean * mean, 0.0)
    return ([round(float(v), 4) for v in mean / 255.0],
            [round(float(v), 4) for v in np.sqrt(variance) / 255.0])


def check_output_paths(parser, **paths):
    """Stops with the option's name before any training when a file could not be written where
    asked: its folder must exist (paths maps an option's name to its value; None: not given)."""
    for option, path in paths.items():
        if path is None:
            continue
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            parser.error(f"--{option.replace('_', '-')} {path}: folder {folder} does not exist")


def save_model(model, example, out, meta, script_name, onnx=None, onnx_batch=0):
    """Scripts `model`, checks the scripted model against it on `example`, and writes it to `out`
    with the metadata as its "borex.json" extra file; also as ONNX to `onnx` when given."""
    scripted = torch.jit.script(model)
    with torch.no_grad():
        if not torch.allclose(scripted(example), model(example), atol=1e-5):
            raise SystemExit(f"{script_name}: scripted model disagrees with the original")
    torch.jit.save(scripted, out, _extra_files={"borex.json": json.dumps(meta)})
    if onnx:
        export_onnx(model, example, onnx, meta, batch=onnx_batch)


def command_line():
    """The command that is running, as a shell would read it back (the facts' "command")."""
    return " ".join(shlex.quote(a) for a in [sys.executable] + sys.argv)


def write_facts(out, facts):
    """Writes the training facts beside the model (`out` with .json) and says what was written."""
    with open(os.path.splitext(out)[0] + ".json", "w") as f:
        json.dump(facts, f, indent=2)
        f.write("\n")
    print(f"wrote {out} ({os.path.getsize(out)} bytes) and its .json", flush=True)
