#!/usr/bin/python3
"""Trains the small (2+1)D CNN video classifier borex ships, and exports it to TorchScript.

The clips come from scripts/make_video_clips.py's make_clip(), generated in memory while the
model trains (nothing is written to disk) by --gen-workers background processes, in a fixed
order, so the data does not depend on timing. Every training clip is fresh: the train-split
indices run on from one epoch to the next. Training has two phases, each with its own one-cycle
learning-rate schedule:
  1. --frame-epochs epochs of --frame-clips-per-epoch single-frame clips (make_clip with
     frames=1, i.e. still scenes; peak learning rate --lr): the network learns what the items
     look like at a fraction of the cost of 16-frame clips (the temporal convolutions see one
     frame);
  2. --epochs epochs of --clips-per-epoch 16-frame clips (peak learning rate --clip-lr): the
     temporal convolutions and the batch-norm statistics adapt to real clips.
Val and test clips are the ones make_video_clips.py writes (val/test splits, indices
0..--val-1 and 0..--test-1, the same --seed), generated here in memory.

Model (R2Plus1DNet, input [N,3,T=16,112,112], layout NCTHW): every 3D convolution is factorised
into a spatial k x k convolution per frame and a temporal 3-tap convolution ((2+1)D, Tran et al.
2018), both run as Conv2d (fast on CPU also for batch 1), each followed by batch norm.
  stem:    5x5 stride 4 (112 -> 28) 3->24, temporal stride 2 (16 -> 8 frames) 24->32, ReLU
  layer1:  residual (2+1)D block, stride 2 (28 -> 14), 32->48
  layer2:  residual (2+1)D block, stride 2 (14 -> 7), 48->96
  layer3:  residual (2+1)D block, stride 1, 96->96: the last convolutional block, the Grad-CAM
           layer; its output is [N,96,8,7,7]
  then global average pooling over (T, H, W) and a linear classifier `fc`.
Inputs are RGB scaled to [0, 1] and normalised with the per-channel mean/std of the first
--stats-clips training clips. Augmentation: random horizontal flips and random time reversal.
Optimiser: AdamW with a one-cycle learning-rate schedule per phase; the weights of the epoch with
the best val accuracy are kept. Test accuracy is reported overall, per class, and for moving and
static clips; the forward time of the exported model is measured as --benchmark does.

Usage:
  /usr/bin/python3 scripts/train_video_classifier.py --out models/fashion_video_r2plus1d.pt
  /usr/bin/python3 scripts/train_video_classifier.py --out /tmp/v.pt --frame-epochs 1 \\
      --frame-clips-per-epoch 256 --epochs 1 --clips-per-epoch 64 --val 16 --test 16  # smoke run
  /usr/bin/python3 scripts/train_video_classifier.py \\
      --benchmark models/fashion_video_r2plus1d.pt --update-record   # forward time only

--benchmark times a batch-1 forward pass [1,3,16,112,112] of a saved model (10 warm-up runs, then
200 timed ones) with OpenMP's default wait policy (training itself sets OMP_WAIT_POLICY=PASSIVE,
unless OMP_WAIT_POLICY is set, because spin-waiting threads crawl on cores shared with other jobs).

Writes --out (the TorchScript model, eval mode, torch.jit.script, with borex metadata in a
"borex.json" extra file: task video-classification, frames 16, layout NCTHW, target layer
layer3) and, next to it, the same name with .json instead of .pt: training facts (the exact
command, seed, sizes, per-epoch history, val/test accuracy, per class and moving/static, forward
time, the metadata, test clips classified correctly). Deterministic for a given --seed and
--threads: seeded torch/numpy, every clip and every augmentation drawn from its own seeded
generator.
"""
import os

# Under contention (other jobs on the same cores) OpenMP's default spin-waiting makes 2 threads
# slower than 1; passive waiting keeps them useful. Must be set before torch starts OpenMP. On an
# idle machine it makes a batch-1 forward pass 3x slower, so the forward time is measured by
# --benchmark, in a child process, without it (borex itself leaves OpenMP's default).
import sys  # noqa: E402

_OWN_WAIT_POLICY = "OMP_WAIT_POLICY" not in os.environ
if "--benchmark" not in sys.argv:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import collections  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from multiprocessing import Pool  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_video_clips import CLASS_SLUGS, CLIP_SIZE, FRAMES, load_fashion, make_clip  # noqa: E402
from model_training import (channel_mean_std, check_output_paths, command_line,  # noqa: E402
                            save_model, write_facts)

TARGET_LAYER = "layer3"
AUGMENT_CODE = 99  # the augmentation generators' seeds: (seed, AUGMENT_CODE, epoch, batch)


class Conv2Plus1D(nn.Module):
    """(2+1)D convolution of [N,C,T,H,W]: a k x k spatial convolution of every frame, batch norm,
    ReLU, then a kt-tap temporal convolution, batch norm (no ReLU). Both are Conv2d: the spatial
    one over [N*T,C,H,W], the temporal one over [N,C,T,H*W] with a (kt,1) kernel."""

    def __init__(self, in_channels, mid_channels, out_channels, kernel, stride, temporal_kernel,
                 temporal_stride):
        super().__init__()
        self.spatial = nn.Conv2d(in_channels, mid_channels, kernel, stride, kernel // 2,
                                 bias=False)
        self.bn1 = nn.BatchNorm2d(mid_channels)
        self.temporal = nn.Conv2d(mid_channels, out_channels, (temporal_kernel, 1),
                                  (temporal_stride, 1), (temporal_kernel // 2, 0), bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)

    def forward(self, x):
        n, c, t, h, w = x.size(0), x.size(1), x.size(2), x.size(3), x.size(4)
        y = x.transpose(1, 2).reshape(n * t, c, h, w)
        y = F.relu(self.bn1(self.spatial(y)))
        m, h2, w2 = y.size(1), y.size(2), y.size(3)
        y = y.view(n, t, m, h2 * w2).transpose(1, 2).contiguous()
        y = self.bn2(self.temporal(y))
        return y.view(n, y.size(1), y.size(2), h2, w2)


class Block(nn.Module):
    """Residual (2+1)D block: ReLU(conv(x) + shortcut(x)); the shortcut is the identity or, when
    the shape changes, a strided 1x1x1 convolution with batch norm."""

    def __init__(self, in_channels, out_channels, stride, temporal_stride):
        super().__init__()
        self.conv = Conv2Plus1D(in_channels, out_channels, out_channels, 3, stride, 3,
                                temporal_stride)
        self.stride, self.temporal_stride = stride, temporal_stride
        if in_channels != out_channels or stride != 1 or temporal_stride != 1:
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, bias=False),
                                          nn.BatchNorm2d(out_channels))
        else:
            self.shortcut = nn.Sequential()  # the identity

    def forward(self, x):
        s = x[:, :, ::self.temporal_stride, ::self.stride, ::self.stride]
        n, c, t, h, w = s.size(0), s.size(1), s.size(2), s.size(3), s.size(4)
        s = self.shortcut(s.reshape(n, c, t, h * w))
        return F.relu(self.conv(x) + s.view(n, -1, t, h, w))


class R2Plus1DNet(nn.Module):
    """A small (2+1)D CNN for [N,3,16,112,112] clips (see the module docstring)."""

    def __init__(self, num_classes=10, widths=(24, 32, 48, 96, 96)):
        super().__init__()
        self.stem = Conv2Plus1D(3, widths[0], widths[1], 5, 4, 3, 2)
        self.layer1 = Block(widths[1], widths[2], 2, 1)
        self.layer2 = Block(widths[2], widths[3], 2, 1)
        self.layer3 = Block(widths[3], widths[4], 1, 1)
        self.fc = nn.Linear(widths[4], num_classes)

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(F.relu(self.stem(x)))))
        return self.fc(x.mean(dim=(2, 3, 4)))


_FASHION = {}  # per generator process: load_fashion()


def _load_fashion_into_worker():
    _FASHION.update(load_fashion())


def _generate(job):
    """Clips (uint8 [B,T,H,W,3]), labels, moving flags of (seed, split, indices, frames); for
    training batches (augment_seed not None) with random horizontal flips and time reversals."""
    seed, split, indices, frames, augment_seed = job
    clips, labels, moving = [], [], []
    for index in indices:
        clip, label, _boxes, clip_moving = make_clip(_FASHION, seed, split, index, frames=frames)
        clips.append(clip)
        labels.append(label)
        moving.append(clip_moving)
    clips = np.stack(clips)
    if augment_seed is not None:
        rng = np.random.default_rng(augment_seed)
        flip, reverse = rng.uniform(size=(2, len(clips))) < 0.5
        clips = np.where(flip[:, None, None, None, None], clips[:, :, :, ::-1], clips)
        clips = np.ascontiguousarray(
            np.where(reverse[:, None, None, None, None], clips[:, ::-1], clips))
    return clips, np.array(labels, np.int64), np.array(moving)


def to_input(clips, mean, std):
    """uint8 [N,T,H,W,3] -> normalised float [N,3,T,H,W] (NCTHW), as borex feeds the model."""
    x = torch.from_numpy(clips).permute(0, 4, 1, 2, 3).float() / 255.0
    x = (x - torch.tensor(mean).view(1, 3, 1, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1, 1)
    return x.contiguous()


def predict(model, clips, mean, std, batch_size=25):
    """Softmax probabilities [N, C] of uint8 clips [N,T,H,W,3]."""
    model.eval()
    probabilities = []
    with torch.no_grad():
        for begin in range(0, len(clips), batch_size):
            logits = model(to_input(clips[begin:begin + batch_size], mean, std))
            probabilities.append(torch.softmax(logits, 1).numpy())
    return np.concatenate(probabilities)


def accuracy(predictions, labels, mask=None):
    mask = np.ones(len(labels), bool) if mask is None else mask
    return float((predictions[mask] == labels[mask]).mean()) if mask.any() else 0.0


def benchmark(path, threads, repeats=200):
    """Seconds of a batch-1 forward pass [1,3,16,112,112] of the saved model, in this process:
    {"median", "min", "p90", "threads", "repeats", "omp_wait_policy", "load_average_before"}."""
    torch.set_num_threads(threads)
    model = torch.jit.load(path)
    x = torch.rand(1, 3, FRAMES, CLIP_SIZE, CLIP_SIZE)
    load = os.getloadavg()[0]
    times = []
    with torch.no_grad():
        for _ in range(10):
            model(x)
        for _ in range(repeats):
            start = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - start)
    return {"median": round(float(np.median(times)), 5), "min": round(float(min(times)), 5),
            "p90": round(float(np.percentile(times, 90)), 5), "threads": threads,
            "repeats": repeats, "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "default"),
            "load_average_before": round(load, 2)}


def benchmark_in_child(path, threads):
    """benchmark() in a fresh process with OpenMP's default wait policy (unless the caller set
    OMP_WAIT_POLICY itself)."""
    env = dict(os.environ)
    if _OWN_WAIT_POLICY:
        env.pop("OMP_WAIT_POLICY", None)
    result = subprocess.run([sys.executable, os.path.abspath(__file__), "--benchmark", path,
                             "--threads", str(threads)], env=env, check=True,
                            stdout=subprocess.PIPE, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", help="output TorchScript file (.pt); required unless --benchmark")
    parser.add_argument("--onnx", default=None,
                        help="also write the model as ONNX to this file, with the same metadata "
                             "(metadata_props \"borex.json\")")
    parser.add_argument("--onnx-batch", type=int, default=8,
                        help="--onnx: the graph's fixed batch size (default 8; OpenCV 4.6 cannot "
                             "run this model's time-into-batch reshapes with a dynamic batch)")
    parser.add_argument("--frame-epochs", type=int, default=18,
                        help="first phase: epochs of single-frame clips (default 18)")
    parser.add_argument("--frame-clips-per-epoch", type=int, default=12000,
                        help="fresh single-frame clips per first-phase epoch (default 12000)")
    parser.add_argument("--epochs", type=int, default=1,
                        help="second phase: epochs of 16-frame clips (default 1)")
    parser.add_argument("--clips-per-epoch", type=int, default=3000,
                        help="fresh 16-frame clips per second-phase epoch (default 3000)")
    parser.add_argument("--batch-size", type=int, default=32, help="batch size (default 32)")
    parser.add_argument("--lr", type=float, default=3e-3,
                        help="peak learning rate of the first phase (default 3e-3)")
    parser.add_argument("--clip-lr", type=float, default=6e-4,
                        help="peak learning rate of the second phase (default 6e-4)")
    parser.add_argument("--weight-decay", type=float, default=0.05,
                        help="AdamW weight decay (default 0.05)")
    parser.add_argument("--val", type=int, default=200, help="val clips (default 200)")
    parser.add_argument("--test", type=int, default=300, help="test clips (default 300)")
    parser.add_argument("--stats-clips", type=int, default=128,
                        help="training clips for the normalisation mean/std (default 128)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--gen-workers", type=int, default=1,
                        help="clip-generating processes (default 1)")
    parser.add_argument("--prefetch", type=int, default=8,
                        help="training batches generated ahead (default 8)")
    parser.add_argument("--benchmark", metavar="MODEL",
                        help="only time a batch-1 forward pass of MODEL (--threads threads, 200 "
                             "runs after 10 warm-up runs) and print the result as JSON")
    parser.add_argument("--update-record", action="store_true",
                        help="with --benchmark: also store the result as forward_seconds_batch1 "
                             "in MODEL's .json record")
    args = parser.parse_args()
    if args.benchmark:
        result = benchmark(args.benchmark, args.threads)
        if args.update_record:
            record_path = os.path.splitext(args.benchmark)[0] + ".json"
            with open(record_path) as f:
                record = json.load(f)
            record["forward_seconds_batch1"] = dict(
                result, command=command_line())
            with open(record_path, "w") as f:
                json.dump(record, f, indent=2)
                f.write("\n")
        print(json.dumps(result), flush=True)
        return
    if not args.out:
        parser.error("--out is required (unless --benchmark)")
    check_output_paths(parser, out=args.out, onnx=args.onnx)

    start = time.time()
    # The generator processes are forked before torch starts any threads.
    pool = Pool(args.gen_workers, initializer=_load_fashion_into_worker)
    torch.set_num_threads(args.threads)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)

    def generate(split, count, chunk=25):
        parts = pool.map(_generate, [(args.seed, split, range(b, min(b + chunk, count)), FRAMES,
                                      None)
                                     for b in range(0, count, chunk)])
        return tuple(np.concatenate(p) for p in zip(*parts))

    stats_x, _, _ = generate("train", args.stats_clips)
    mean, std = channel_mean_std(stats_x)
    del stats_x
    val_x, val_y, val_moving = generate("val", args.val)
    test_x, test_y, test_moving = generate("test", args.test)
    print(f"train_video_classifier: mean {mean} std {std}; {len(val_x)} val and {len(test_x)} "
          f"test clips in {time.time() - start:.0f} s", flush=True)

    model = R2Plus1DNet(len(CLASS_SLUGS))
    parameters = sum(p.numel() for p in model.parameters())
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)

    # Epochs in training order: (frames per clip, clips, peak learning rate of its phase).
    epochs = ([(1, args.frame_clips_per_epoch, args.lr)] * args.frame_epochs +
              [(FRAMES, args.clips_per_epoch, args.clip_lr)] * args.epochs)
    jobs, batches, first = [], [], 0  # training batch jobs in order; batches per epoch
    for epoch, (frames, clips, _) in enumerate(epochs):
        starts = range(first, first + clips, args.batch_size)
        jobs += [(args.seed, "train", range(b, min(b + args.batch_size, first + clips)), frames,
                  [args.seed, AUGMENT_CODE, epoch, i]) for i, b in enumerate(starts)]
        batches.append(len(starts))
        first += clips
    pending = collections.deque()
    next_job = 0
    schedule, schedule_lr = None, None

    best_val, best_epoch, best_state, history = -1.0, 0, None, []
    train_start = time.time()
    for epoch, (frames, clips, peak_lr) in enumerate(epochs):
        if peak_lr != schedule_lr:  # a new phase: a one-cycle schedule over its steps
            phase_steps = sum(b for (_, _, lr), b in zip(epochs[epoch:], batches[epoch:])
                              if lr == peak_lr)
            schedule, schedule_lr = torch.optim.lr_scheduler.OneCycleLR(
                optimiser, max_lr=peak_lr, total_steps=phase_steps,
                pct_start=0.2 if epoch == 0 else 0.1), peak_lr
        model.train()
        epoch_start, loss_sum, correct, seen, waited = time.time(), 0.0, 0, 0, 0.0
        for b in range(batches[epoch]):
            while next_job < len(jobs) and len(pending) < args.prefetch:
                pending.append(pool.apply_async(_generate, (jobs[next_job],)))
                next_job += 1
            wait_start = time.time()
            clip_batch, labels, _ = pending.popleft().get()
            waited += time.time() - wait_start
            labels = torch.from_numpy(labels)
            logits = model(to_input(clip_batch, mean, std))
            loss = F.cross_entropy(logits, labels)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            schedule.step()
            loss_sum += float(loss) * len(labels)
            correct += int((logits.argmax(1) == labels).sum())
            seen += len(labels)
            if (b + 1) % 50 == 0 or b + 1 == batches[epoch]:
                print(f"  epoch {epoch + 1}/{len(epochs)} ({frames} frames) batch "
                      f"{b + 1}/{batches[epoch]}: loss {loss_sum / seen:.4f} accuracy "
                      f"{correct / seen:.4f}, {seen / (time.time() - epoch_start):.1f} clips/s "
                      f"(waited {waited:.0f} s for clips), {time.time() - start:.0f} s",
                      flush=True)
        val_predictions = predict(model, val_x, mean, std).argmax(1)
        val_accuracy = accuracy(val_predictions, val_y)
        history.append({"epoch": epoch + 1, "frames": frames, "clips": clips,
                        "train_loss": round(loss_sum / seen, 4),
                        "train_accuracy": round(correct / seen, 4),
                        "val_accuracy": round(val_accuracy, 4),
                        "seconds": round(time.time() - epoch_start, 1),
                        "seconds_waiting_for_clips": round(waited, 1)})
        print(json.dumps(history[-1]), flush=True)
        if val_accuracy > best_val:
            best_val, best_epoch = val_accuracy, epoch + 1
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
    training_seconds = time.time() - train_start
    pool.close()
    pool.join()

    model.load_state_dict(best_state)
    model.eval()
    test_probabilities = predict(model, test_x, mean, std)
    test_predictions = test_probabilities.argmax(1)
    test_accuracy = accuracy(test_predictions, test_y)
    per_class = {name: round(accuracy(test_predictions, test_y, test_y == c), 4)
                 for c, name in enumerate(CLASS_SLUGS)}
    moving_accuracy = accuracy(test_predictions, test_y, test_moving)
    static_accuracy = accuracy(test_predictions, test_y, ~test_moving)
    print(f"best val accuracy {best_val:.4f} (epoch {best_epoch}); test accuracy "
          f"{test_accuracy:.4f} (moving {moving_accuracy:.4f} of {int(test_moving.sum())}, static "
          f"{static_accuracy:.4f} of {int((~test_moving).sum())}); per class " +
          ", ".join(f"{n} {a:.3f}" for n, a in per_class.items()), flush=True)

    meta = {"format": "borex-model/1", "task": "video-classification",
            "class_names": CLASS_SLUGS, "input_size": [CLIP_SIZE, CLIP_SIZE],
            "frames": FRAMES, "frame_stride": 1, "layout": "NCTHW",
            "mean": mean, "std": std, "target_layer": TARGET_LAYER, "output": "logits",
            "description": (f"R2Plus1DNet ((2+1)D CNN, {parameters} parameters) trained on "
                            f"16-frame 112x112 Fashion-MNIST clips (scripts/make_video_clips.py, "
                            f"scripts/train_video_classifier.py, seed {args.seed}); test accuracy "
                            f"{test_accuracy:.4f} on {len(test_x)} clips with unseen "
                            f"Fashion-MNIST t10k items")}
    example = to_input(test_x[:2], mean, std)
    save_model(model, example, args.out, meta, "train_video_classifier", onnx=args.onnx,
               onnx_batch=args.onnx_batch)
    with torch.no_grad():
        activation = model.get_submodule(TARGET_LAYER)(model.layer2(model.layer1(
            F.relu(model.stem(example)))))
    forward = benchmark_in_child(args.out, args.threads)
    print(f"forward pass, batch 1, {args.threads} threads: median {forward['median'] * 1e3:.2f} ms"
          f", min {forward['min'] * 1e3:.2f} ms (load average {forward['load_average_before']})"
          f"; target layer {TARGET_LAYER} output {list(activation.shape[1:])} per clip",
          flush=True)

    test_ids = [f"test_{i:06d}" for i in range(len(test_x))]
    correct = [{"id": i, "label": CLASS_SLUGS[int(t)], "moving": bool(m),
                "probability": round(float(p[t]), 4)}
               for i, t, m, p, q in zip(test_ids, test_y, test_moving, test_probabilities,
                                        test_predictions) if q == t]
    facts = {"command": command_line(),
             "seed": args.seed, "frame_epochs": args.frame_epochs,
             "frame_clips_per_epoch": args.frame_clips_per_epoch, "epochs": args.epochs,
             "clips_per_epoch": args.clips_per_epoch, "batch_size": args.batch_size,
             "lr": args.lr, "clip_lr": args.clip_lr, "weight_decay": args.weight_decay,
             "threads": args.threads, "gen_workers": args.gen_workers,
             "torch_version": torch.__version__, "parameters": parameters,
             "file_bytes": os.path.getsize(args.out),
             "train_clips_seen": {"1_frame": args.frame_epochs * args.frame_clips_per_epoch,
                                  "16_frames": args.epochs * args.clips_per_epoch},
             "val_size": len(val_x), "test_size": len(test_x),
             "test_moving": int(test_moving.sum()), "test_static": int((~test_moving).sum()),
             "best_epoch": best_epoch, "val_accuracy": round(best_val, 4),
             "test_accuracy": round(test_accuracy, 4),
             "test_accuracy_moving": round(moving_accuracy, 4),
             "test_accuracy_static": round(static_accuracy, 4),
             "test_accuracy_per_class": per_class,
             "target_layer_output_shape": list(activation.shape[1:]),
             "forward_seconds_batch1": forward,
             "training_seconds": round(training_seconds, 1),
             "total_seconds": round(time.time() - start, 1),
             "history": history, "metadata": meta,
             "correct_test_clips_first_50": correct[:50]}
    write_facts(args.out, facts)


if __name__ == "__main__":
    main()
