#!/usr/bin/python3
"""Trains the small ResNet scene classifier borex ships, and exports it to TorchScript.

Reads the scenes written by scripts/make_scenes.py (PascalVOC layout), trains a ResNet-style CNN
(stem, stages layer1..layer4 of BasicBlocks, global average pooling, fc) on the train split,
keeps the epoch with the best val accuracy, reports test accuracy, and saves a scripted model
with borex metadata (class names, input size, normalisation, Grad-CAM layer "layer4") in a
"borex.json" TorchScript extra file, so `borex refine --model M --image I` needs no other flag.

Usage:
  /usr/bin/python3 scripts/train_scene_classifier.py --data data/scenes \
      --out models/fashion_scenes_resnet.pt --epochs 12 --seed 0
Writes OUT and OUT with .json instead of .pt (training facts: accuracies, timing, settings).
"""
import argparse
import json
import os
import random
import time
import xml.etree.ElementTree as ET

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image


class BasicBlock(nn.Module):
    def __init__(self, inputs, outputs, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inputs, outputs, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(outputs)
        self.conv2 = nn.Conv2d(outputs, outputs, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(outputs)
        self.shortcut = nn.Sequential()
        if stride != 1 or inputs != outputs:
            self.shortcut = nn.Sequential(nn.Conv2d(inputs, outputs, 1, stride, bias=False),
                                          nn.BatchNorm2d(outputs))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


class SceneResNet(nn.Module):
    def __init__(self, classes=10, widths=(16, 32, 64, 128)):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, widths[0], 5, 2, 2, bias=False),
                                  nn.BatchNorm2d(widths[0]), nn.ReLU(),
                                  nn.MaxPool2d(2))  # 128 -> 32
        self.layer1 = BasicBlock(widths[0], widths[0], 1)   # 32
        self.layer2 = BasicBlock(widths[0], widths[1], 2)   # 16
        self.layer3 = BasicBlock(widths[1], widths[2], 1)   # 16
        self.layer4 = BasicBlock(widths[2], widths[3], 2)   # 8: the Grad-CAM layer
        self.fc = nn.Linear(widths[3], classes)

    def forward(self, x):
        x = self.layer4(self.layer3(self.layer2(self.layer1(self.stem(x)))))
        return self.fc(x.mean(dim=(2, 3)))


def load_split(root, split, class_names):
    with open(os.path.join(root, "ImageSets", "Main", f"{split}.txt")) as f:
        ids = [line.strip() for line in f if line.strip()]
    images = np.empty((len(ids), 128, 128, 3), np.uint8)
    labels = np.empty(len(ids), np.int64)
    for i, image_id in enumerate(ids):
        tree = ET.parse(os.path.join(root, "Annotations", f"{image_id}.xml"))
        labels[i] = class_names.index(tree.find("object/name").text)
        images[i] = np.asarray(Image.open(os.path.join(root, "JPEGImages",
                                                       tree.find("filename").text)).convert("RGB"))
    return images, labels


def to_tensor(images, mean, std):
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255.0
    return (x - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)


def evaluate(model, images, labels, mean, std, batch=256):
    model.eval()
    correct, per_class = 0, np.zeros((10, 2))
    with torch.no_grad():
        for start in range(0, len(images), batch):
            predicted = model(to_tensor(images[start:start + batch], mean, std)).argmax(1).numpy()
            truth = labels[start:start + batch]
            correct += int((predicted == truth).sum())
            for t, p in zip(truth, predicted):
                per_class[t] += (p == t, 1)
    return correct / len(images), (per_class[:, 0] / np.maximum(per_class[:, 1], 1)).tolist()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=4e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    with open(os.path.join(args.data, "classes.txt")) as f:
        class_names = [line.strip() for line in f if line.strip()]

    start = time.time()
    train_x, train_y = load_split(args.data, "train", class_names)
    val_x, val_y = load_split(args.data, "val", class_names)
    test_x, test_y = load_split(args.data, "test", class_names)
    mean = (train_x.reshape(-1, 3).mean(0) / 255.0).round(4).tolist()
    std = (train_x.reshape(-1, 3).std(0) / 255.0).round(4).tolist()
    print(f"loaded {len(train_x)}/{len(val_x)}/{len(test_x)} scenes in {time.time() - start:.0f} s; "
          f"mean {mean} std {std}", flush=True)

    model = SceneResNet(len(class_names))
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps = args.epochs * ((len(train_x) + args.batch_size - 1) // args.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=args.lr, total_steps=steps)
    generator = np.random.default_rng(args.seed)
    best_accuracy, best_state, history = -1.0, None, []
    for epoch in range(args.epochs):
        model.train()
        order = generator.permutation(len(train_x))
        epoch_start, total_loss = time.time(), 0.0
        for begin in range(0, len(order), args.batch_size):
            batch = order[begin:begin + args.batch_size]
            images = train_x[batch]
            flip = generator.uniform(size=len(batch)) < 0.5
            images = np.where(flip[:, None, None, None], images[:, :, ::-1], images)
            loss = F.cross_entropy(model(to_tensor(np.ascontiguousarray(images), mean, std)),
                                   torch.from_numpy(train_y[batch]))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total_loss += float(loss) * len(batch)
        val_accuracy, _ = evaluate(model, val_x, val_y, mean, std)
        history.append({"epoch": epoch + 1, "loss": total_loss / len(order),
                        "val_accuracy": val_accuracy, "seconds": time.time() - epoch_start})
        print(json.dumps(history[-1]), flush=True)
        if val_accuracy > best_accuracy:
            best_accuracy = val_accuracy
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    model.eval()
    test_accuracy, per_class = evaluate(model, test_x, test_y, mean, std)
    print(f"test accuracy {test_accuracy:.4f}", flush=True)

    meta = {"format": "borex-model/1", "task": "image-classification",
            "class_names": class_names, "input_size": [128, 128], "mean": mean, "std": std,
            "target_layer": "layer4", "output": "logits",
            "description": f"SceneResNet on Fashion-MNIST scenes (scripts/train_scene_classifier.py); "
                           f"test accuracy {test_accuracy:.4f} on {len(test_x)} scenes"}
    torch.jit.save(torch.jit.script(model), args.out, _extra_files={"borex.json": json.dumps(meta)})
    facts = {"seed": args.seed, "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr,
             "train": len(train_x), "val": len(val_x), "test": len(test_x),
             "best_val_accuracy": best_accuracy, "test_accuracy": test_accuracy,
             "test_accuracy_per_class": dict(zip(class_names, per_class)),
             "parameters": sum(p.numel() for p in model.parameters()),
             "training_seconds": time.time() - start, "history": history, "metadata": meta}
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump(facts, f, indent=2)


if __name__ == "__main__":
    main()
