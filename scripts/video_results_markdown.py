#!/usr/bin/python3
"""The RQ3 (video) part of docs/results.md, from scripts/reproduce_video_table.sh's outputs.

  video_results_markdown.py subsets --data DATA --dir DIR --methods M1,M2,...
      splits DIR/<method>.csv (the merged batch CSVs) into DIR/all/, DIR/moving/ and
      DIR/static/ by the clips' "moving" flag in DATA/annotations/<id>.json
  video_results_markdown.py markdown --data DATA --dir DIR --compare CMP --methods ... \\
      --jobs J --results docs/results.md
      writes the RQ3 section (between the markers <!-- rq3:begin --> and <!-- rq3:end -->,
      appended when absent) from CMP/<subset>.<a>.vs.<b>.<metric>.json (borex compare --json)
      and the CSVs' model_calls and seconds columns, then docs/results-video-discussion.md
"""
import argparse
import csv
import glob
import json
import os
import statistics

SUBSETS = [("all", "all clips"), ("moving", "items move"), ("static", "items stay")]
PAIRS = [("borex:rise", "rise", "BOREx(RISE) vs RISE"),
         ("borex:gradcam++", "gradcam++", "BOREx(Grad-CAM++) vs Grad-CAM++")]
METRICS = [("f_measure", "F-measure"), ("insertion", "insertion"), ("deletion", "deletion")]
# The paper's Table 1, video rows (Kinetics-400).
PAPER = {("rise", "f_measure"): "4.988e-07**", ("rise", "insertion"): "8.974e-01",
         ("rise", "deletion"): "8.161e-18**", ("gradcam++", "f_measure"): "9.998e-01",
         ("gradcam++", "insertion"): "3.636e-01", ("gradcam++", "deletion"): "2.983e-07**"}
BEGIN, END = "<!-- rq3:begin -->", "<!-- rq3:end -->"


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def moving_flags(data, ids):
    flags = {}
    for clip_id in ids:
        with open(os.path.join(data, "annotations", clip_id + ".json")) as f:
            flags[clip_id] = bool(json.load(f).get("moving", False))
    return flags


def subsets(args):
    for method in args.methods.split(","):
        header, rows = read_csv(os.path.join(args.dir, method + ".csv"))
        flags = moving_flags(args.data, [row[0] for row in rows])
        for subset, _ in SUBSETS:
            os.makedirs(os.path.join(args.dir, subset), exist_ok=True)
            keep = [r for r in rows if subset == "all" or flags[r[0]] == (subset == "moving")]
            with open(os.path.join(args.dir, subset, method + ".csv"), "w", newline="") as f:
                writer = csv.writer(f)
                writer.writerow(header)
                writer.writerows(keep)


def stars(p):
    return "**" if p < 1e-3 else "*" if p < 0.05 else ""


def cost_table(args):
    lines = ["| method | clips | mean insertion | mean deletion | mean F-measure | model calls "
             "per clip | seconds per clip |", "|---|---:|---:|---:|---:|---:|---:|"]
    for method in args.methods.split(","):
        header, rows = read_csv(os.path.join(args.dir, "all", method + ".csv"))
        column = {name: i for i, name in enumerate(header)}
        mean = lambda name: statistics.mean(float(r[column[name]]) for r in rows)
        lines.append(f"| {method} | {len(rows)} | {mean('insertion'):.4f} | "
                     f"{mean('deletion'):.4f} | {mean('f_measure'):.4f} | "
                     f"{mean('model_calls'):.0f} | {mean('seconds'):.2f} |")
    return "\n".join(lines)


def test_table(args):
    lines = ["| clips | compared | metric | n | mean BOREx | mean other | one-sided p | "
             "paper's p (Kinetics-400) |", "|---|---|---|---:|---:|---:|---:|---:|"]
    for subset, subset_title in SUBSETS:
        for a, b, title in PAIRS:
            for metric, label in METRICS:
                path = os.path.join(args.compare, f"{subset}.{a}.vs.{b}.{metric}.json")
                with open(path) as f:
                    r = json.load(f)
                p = r["p_value"]
                paper = PAPER[(b, metric)] if subset == "all" else ""
                lines.append(f"| {subset_title} | {title} | {label} | {r['n']} | "
                             f"{r['mean_a']:.4f} | {r['mean_b']:.4f} | {p:.3e}{stars(p)} | "
                             f"{paper} |")
    return "\n".join(lines)


VAL_CONFIGS = {  # validation batch directory: (depths, spatial length scales, temporal ones)
    "depths-4,8": ("4, 8", "6, 10 px", "2, 4 frames"),
    "depths-4,8,16": ("4, 8, 16", "6, 10 px", "2, 4 frames"),
    "depths-8,16": ("8, 16", "6, 10 px", "2, 4 frames"),
    "lengths-12,20-8,8": ("8, 16", "12, 20 px", "8, 8 frames"),
}


def val_table(args):
    """The settings compared on the validation split: mean metrics of borex:rise."""
    lines = ["| depths t (frames) | length scales row/col, side | first frame, depth | clips | "
             "mean insertion | mean deletion | mean F-measure | insertion + F - deletion |",
             "|---|---|---|---:|---:|---:|---:|---:|"]
    for name, (depths, spatial, temporal) in VAL_CONFIGS.items():
        path = os.path.join(args.val, name, "borex:rise.csv")
        if not os.path.exists(path):
            continue
        header, rows = read_csv(path)
        column = {c: i for i, c in enumerate(header)}
        mean = lambda c: statistics.mean(float(r[column[c]]) for r in rows)
        score = mean("insertion") + mean("f_measure") - mean("deletion")
        lines.append(f"| {depths} | {spatial} | {temporal} | {len(rows)} | "
                     f"{mean('insertion'):.4f} | {mean('deletion'):.4f} | "
                     f"{mean('f_measure'):.4f} | {score:.4f} |")
    return "\n".join(lines)


def discussion(args):
    """The hand-written discussion, docs/results-video-discussion.md next to --results."""
    path = os.path.join(os.path.dirname(args.results), "results-video-discussion.md")
    return open(path).read().strip() + "\n" if os.path.exists(path) else ""


def markdown(args):
    # The settings every shard recorded (borex batch refuses to mix others).
    settings_path = os.path.join(args.dir, "settings.json")
    if not os.path.exists(settings_path):
        settings_path = sorted(glob.glob(os.path.join(args.dir, "shard-*", "settings.json")))[0]
    with open(settings_path) as f:
        settings = json.load(f)
    val = val_table(args) if args.val else ""
    section = f"""{BEGIN}
## RQ3: video (Table 1, video rows)

Written by `scripts/video_results_markdown.py` from `JOBS={args.jobs}
scripts/reproduce_video_table.sh` (its batch, report and compare commands are in the script).

- **Data:** the test clips of `scripts/make_video_clips.py` (16 frames of 112x112; one or two
  Fashion-MNIST items of the target class over a changing, cluttered background with moving
  distractors; per-frame boxes), half of them with moving items (`moving` in each annotation).
- **Model:** `models/fashion_video_r2plus1d.pt` (see scripts/README-models.md).
- **Methods:** video-RISE (the in-process prior: 100 random 8x8x4 grids, p1 = 0.3),
  video-Grad-CAM++ (3D target layer, trilinear upsampling), and BOREx refining each with the
  defaults (cuboid masks of sides 60..150 px at 224 scaled to 112 and depths 8 and 16 frames,
  length scales 12 and 20 px and 8 frames, 50 iterations, κ = 10, the paper's 1/(r^2 t)
  weighting).
- **Metrics:** insertion and deletion over the clip's voxels ({settings["metrics"]["step"]}
  voxels per step, black substrate), F-measure (harmonic mean) against the per-frame boxes.
- **Statistics:** one-sided Wilcoxon signed-rank tests on paired per-clip values (`borex
  compare`); ** p < 0.001, * p < 0.05.

The paper gives neither the depth set T of the cuboids nor length scales for video. They were
chosen on the first validation clips with BOREx(RISE), one step at a time (the objective is the
one of the image tuning above): first the depth set, with the image's length scales (6 and
10 px at 112, 2 and 4 frames), then, with the best depths, twice the image's length scales in
space and T/2 in time. The last row is the video default of `borex refine`, which the test run
below uses.

{val}

{test_table(args)}

Costs per clip, on the 2-core development machine with {args.jobs} shards of one thread each:
the map only, evaluation excluded; a BOREx row excludes its prior, which is computed once per
clip and shared with the prior's own row.

{cost_table(args)}

{discussion(args)}
{END}"""
    text = open(args.results).read() if os.path.exists(args.results) else ""
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + section + text[text.index(END) + len(END):]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    with open(args.results, "w") as f:
        f.write(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["subsets", "markdown"])
    parser.add_argument("--data", required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--methods", required=True)
    parser.add_argument("--compare")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--results")
    parser.add_argument("--val", help="directory of the validation depth-set batches")
    args = parser.parse_args()
    subsets(args) if args.command == "subsets" else markdown(args)


if __name__ == "__main__":
    main()
