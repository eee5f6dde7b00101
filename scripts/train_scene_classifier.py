#!/usr/bin/python3
"""Trains the small ResNet scene classifier borex ships (--arch plain: a CNN of another
architecture, for checking that results hold beyond one network), and exports it to TorchScript.

Reads the scenes written by scripts/make_scenes.py (PascalVOC layout: JPEGImages/, Annotations/,
ImageSets/Main/{train,val,test}.txt, classes.txt), trains a ResNet-style CNN on the train split
(stem convolution, stages layer1..layer4 of BasicBlocks, global average pooling, linear `fc`;
layer4 is the last convolutional block, the Grad-CAM layer), keeps the weights of the epoch with
the best val accuracy, reports test accuracy (overall and per class), and saves the model with
torch.jit.script in eval mode, with borex metadata in a "borex.json" TorchScript extra file
(class names, input size, normalisation, target layer), so `borex refine --model M --image I`
needs no other flag. --onnx also writes an ONNX file with the same metadata (metadata_props).

The label of a scene is the <name> of its objects (every object of a scene has the same class).
Inputs are RGB scaled to [0, 1] and normalised with the per-channel mean/std of the train split.
Augmentation (light): random horizontal flips and random translations by up to --max-shift
pixels. Optimiser: AdamW with a one-cycle learning-rate schedule.

Usage:
  /usr/bin/python3 scripts/train_scene_classifier.py --data data/scenes \\
      --out models/fashion_scenes_resnet.pt --epochs 16 --seed 0
  /usr/bin/python3 scripts/train_scene_classifier.py --data data/scenes --out /tmp/m.pt \\
      --train-limit 2000 --epochs 1          # quick timing run on a subset
  /usr/bin/python3 scripts/train_scene_classifier.py --data data/scenes \\
      --out models/fashion_scenes_plaincnn.pt --arch plain   # another architecture

Writes --out (the TorchScript model) and, next to it, the same name with .json instead of .pt:
training facts (seed, epochs, split sizes, val/test accuracy, per-class test accuracy, wall
times, per-epoch history, the exact command, the metadata). Deterministic for a given --seed and
--threads: seeded torch/numpy/random, a fixed data order drawn from a seeded generator.
"""
import argparse
import json
import os
import random
import sys
import time
import xml.etree.ElementTree as ET

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model_training import (channel_mean_std, check_output_paths, command_line,  # noqa: E402
                            save_model, write_facts)

INPUT_SIZE = 128


class BasicBlock(nn.Module):
    """ResNet basic block: two 3x3 convolutions with batch norm and an identity/1x1 shortcut;
    residual=False drops the shortcut (a VGG-style block, --arch plain)."""

    def __init__(self, in_channels, out_channels, stride, residual=True):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.residual = residual
        self.shortcut = nn.Sequential()
        if residual and (stride != 1 or in_channels != out_channels):
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                nn.BatchNorm2d(out_channels))

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        if self.residual:
            y = y + self.shortcut(x)
        return F.relu(y)


def plain_block(in_channels, out_channels, stride):
    return BasicBlock(in_channels, out_channels, stride, residual=False)


class SceneCNN(nn.Module):
    """A small CNN for 128x128 scenes: a stride-2 stem (128 -> 64), stages layer1..layer3 of
    `block` with stride 2 (-> 32, 16, 8), layer4 with stride 1 (8x8, the Grad-CAM layer), global
    average pooling and a linear classifier `fc`."""

    def __init__(self, num_classes, widths, block, stem_kernel):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, widths[0], stem_kernel, 2, stem_kernel // 2, bias=False),
            nn.BatchNorm2d(widths[0]), nn.ReLU())
        self.layer1 = block(widths[0], widths[1], 2)
        self.layer2 = block(widths[1], widths[2], 2)
        self.layer3 = block(widths[2], widths[3], 2)
        self.layer4 = block(widths[3], widths[4], 1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(widths[4], num_classes)

    def forward(self, x):
        x = self.layer4(self.layer3(self.layer2(self.layer1(self.stem(x)))))
        return self.fc(torch.flatten(self.pool(x), 1))


class SceneResNet(SceneCNN):
    """The bundled models' architecture: BasicBlocks, a 3x3 stem."""

    def __init__(self, num_classes=10, widths=(16, 32, 64, 128, 128)):
        super().__init__(num_classes, widths, BasicBlock, 3)


class ScenePlainCNN(SceneCNN):
    """Another architecture for the same scenes (--arch plain): no shortcuts, a 5x5 stem and
    other widths."""

    def __init__(self, num_classes=10, widths=(16, 32, 64, 128, 160)):
        super().__init__(num_classes, widths, plain_block, 5)


ARCHITECTURES = {"resnet": SceneResNet, "plain": ScenePlainCNN}


def read_split_ids(data_dir, split):
    with open(os.path.join(data_dir, "ImageSets", "Main", f"{split}.txt")) as f:
        return [line.strip() for line in f if line.strip()]


def load_split(data_dir, split, class_names, limit=None):
    """Returns (images [N,H,W,3] uint8, labels [N] int64, ids) of a split."""
    ids = read_split_ids(data_dir, split)[:limit]
    images = np.empty((len(ids), INPUT_SIZE, INPUT_SIZE, 3), np.uint8)
    labels = np.empty(len(ids), np.int64)
    for i, image_id in enumerate(ids):
        tree = ET.parse(os.path.join(data_dir, "Annotations", f"{image_id}.xml"))
        names = {obj.find("name").text for obj in tree.findall("object")}
        if len(names) != 1:
            raise ValueError(f"{image_id}: expected one class per scene, found {sorted(names)}")
        labels[i] = class_names.index(names.pop())
        with Image.open(os.path.join(data_dir, "JPEGImages", tree.find("filename").text)) as im:
            images[i] = np.asarray(im.convert("RGB"))
    return images, labels, ids


def normalise(images, mean, std):
    """uint8 [N,H,W,3] -> normalised float [N,3,H,W], as borex feeds the model."""
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255.0
    return (x - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)


def augment(images, rng, max_shift):
    """Light augmentation of a uint8 batch [N,H,W,3]: random horizontal flips and random
    translations by up to max_shift pixels (the border pixels are repeated into the gap)."""
    flip = rng.uniform(size=len(images)) < 0.5
    images = np.where(flip[:, None, None, None], images[:, :, ::-1], images)
    if max_shift == 0:
        return np.ascontiguousarray(images)
    padded = np.pad(images, ((0, 0), (max_shift, max_shift), (max_shift, max_shift), (0, 0)),
                    mode="edge")
    offsets = rng.integers(0, 2 * max_shift + 1, size=(len(images), 2))
    height, width = images.shape[1:3]
    return np.stack([padded[i, r:r + height, c:c + width] for i, (r, c) in enumerate(offsets)])


def predict(model, images, mean, std, batch_size=250):
    model.eval()
    predictions = []
    with torch.no_grad():
        for begin in range(0, len(images), batch_size):
            logits = model(normalise(images[begin:begin + batch_size], mean, std))
            predictions.append(logits.argmax(1).numpy())
    return np.concatenate(predictions)


def accuracies(predictions, labels, num_classes):
    """Overall accuracy and per-class accuracy (recall)."""
    per_class = [float((predictions[labels == c] == c).mean()) if (labels == c).any() else 0.0
                 for c in range(num_classes)]
    return float((predictions == labels).mean()), per_class


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="scene directory from make_scenes.py")
    parser.add_argument("--out", required=True, help="output TorchScript file (.pt)")
    parser.add_argument("--onnx", default=None,
                        help="also write the model as ONNX to this file, with the same metadata "
                             "(metadata_props \"borex.json\"; dynamic batch axis)")
    parser.add_argument("--epochs", type=int, default=16, help="training epochs (default 16)")
    parser.add_argument("--batch-size", type=int, default=64, help="batch size (default 64)")
    parser.add_argument("--lr", type=float, default=3e-3, help="peak learning rate (default 3e-3)")
    parser.add_argument("--weight-decay", type=float, default=0.05,
                        help="AdamW weight decay (default 0.05)")
    parser.add_argument("--max-shift", type=int, default=8,
                        help="random translation augmentation in pixels (default 8; 0: none)")
    parser.add_argument("--arch", choices=sorted(ARCHITECTURES), default="resnet",
                        help="resnet (SceneResNet, the bundled models) or plain (ScenePlainCNN: "
                             "no shortcuts, another stem and widths)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--train-limit", type=int, default=None,
                        help="use only the first N train scenes (for timing runs)")
    args = parser.parse_args()
    check_output_paths(parser, out=args.out, onnx=args.onnx)

    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    with open(os.path.join(args.data, "classes.txt")) as f:
        class_names = [line.strip() for line in f if line.strip()]

    start = time.time()
    train_x, train_y, _ = load_split(args.data, "train", class_names, args.train_limit)
    val_x, val_y, _ = load_split(args.data, "val", class_names)
    test_x, test_y, test_ids = load_split(args.data, "test", class_names)
    mean, std = channel_mean_std(train_x)
    print(f"loaded {len(train_x)}/{len(val_x)}/{len(test_x)} scenes in {time.time() - start:.0f} s;"
          f" mean {mean} std {std}", flush=True)

    model = ARCHITECTURES[args.arch](len(class_names))
    parameters = sum(p.numel() for p in model.parameters())
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    steps_per_epoch = (len(train_x) + args.batch_size - 1) // args.batch_size
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch, pct_start=0.2)
    order_rng = np.random.default_rng(args.seed)
    best_val, best_epoch, best_state, history = -1.0, 0, None, []
    train_start = time.time()
    for epoch in range(1, args.epochs + 1):
        model.train()
        epoch_start, loss_sum, correct = time.time(), 0.0, 0
        order = order_rng.permutation(len(train_x))
        for begin in range(0, len(order), args.batch_size):
            batch = order[begin:begin + args.batch_size]
            images = augment(train_x[batch], order_rng, args.max_shift)
            labels = torch.from_numpy(train_y[batch])
            logits = model(normalise(images, mean, std))
            loss = F.cross_entropy(logits, labels)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            schedule.step()
            loss_sum += float(loss) * len(batch)
            correct += int((logits.argmax(1) == labels).sum())
        val_accuracy, _ = accuracies(predict(model, val_x, mean, std), val_y, len(class_names))
        history.append({"epoch": epoch, "train_loss": round(loss_sum / len(order), 4),
                        "train_accuracy": round(correct / len(order), 4),
                        "val_accuracy": round(val_accuracy, 4),
                        "seconds": round(time.time() - epoch_start, 1)})
        print(json.dumps(history[-1]), flush=True)
        if val_accuracy > best_val:
            best_val, best_epoch = val_accuracy, epoch
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
    training_seconds = time.time() - train_start

    model.load_state_dict(best_state)
    model.eval()
    test_predictions = predict(model, test_x, mean, std)
    test_accuracy, test_per_class = accuracies(test_predictions, test_y, len(class_names))
    print(f"best val accuracy {best_val:.4f} (epoch {best_epoch}); test accuracy "
          f"{test_accuracy:.4f}; per class " +
          ", ".join(f"{n} {a:.3f}" for n, a in zip(class_names, test_per_class)), flush=True)

    meta = {"format": "borex-model/1", "task": "image-classification",
            "class_names": class_names, "input_size": [INPUT_SIZE, INPUT_SIZE],
            "mean": mean, "std": std, "target_layer": "layer4", "output": "logits",
            "description": (f"{type(model).__name__} ({parameters} parameters) trained on 128x128 "
                            f"Fashion-MNIST scenes (scripts/make_scenes.py, "
                            f"scripts/train_scene_classifier.py, seed {args.seed}); "
                            f"test accuracy {test_accuracy:.4f} on {len(test_x)} scenes "
                            f"with unseen Fashion-MNIST t10k items")}
    save_model(model, normalise(test_x[:4], mean, std), args.out, meta, "train_scene_classifier",
               onnx=args.onnx)
    # Test scenes the model classifies correctly, for picking examples.
    correct_test_ids = [i for i, p, t in zip(test_ids, test_predictions, test_y) if p == t]
    facts = {"command": command_line(),
             "arch": args.arch, "seed": args.seed, "epochs": args.epochs, "batch_size": args.batch_size,
             "lr": args.lr, "weight_decay": args.weight_decay, "max_shift": args.max_shift, "threads": args.threads,
             "torch_version": torch.__version__, "parameters": parameters,
             "train_size": len(train_x), "val_size": len(val_x), "test_size": len(test_x),
             "best_epoch": best_epoch, "val_accuracy": round(best_val, 4),
             "test_accuracy": round(test_accuracy, 4),
             "test_accuracy_per_class": {n: round(a, 4)
                                         for n, a in zip(class_names, test_per_class)},
             "training_seconds": round(training_seconds, 1),
             "total_seconds": round(time.time() - start, 1),
             "history": history, "metadata": meta,
             "correct_test_ids_first_50": correct_test_ids[:50]}
    write_facts(args.out, facts)


if __name__ == "__main__":
    main()
