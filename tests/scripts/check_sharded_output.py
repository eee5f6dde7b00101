#!/usr/bin/python3
"""Checks a sharded `borex batch` output for the slow launcher tests.

  check_sharded_output.py OUT METHODS SHARDS SPLIT_FILE

Every shard directory exists, each shard holds exactly the ids at positions i mod N == K-1 with
their maps, and each method's merged OUT/METHOD.csv holds every id of the split once.
"""
import csv, os, sys
out, methods, shards, split = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3]), sys.argv[4]
ids = [line.split()[0] for line in open(split) if line.strip()]
dirs = sorted(d for d in os.listdir(out) if d.startswith("shard-"))
expected = [f"shard-{k}-of-{shards}" for k in range(1, shards + 1)]
assert dirs == sorted(expected), f"shard directories {dirs}, expected {expected}"
def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))
for method in methods:
    merged = [row["image_id"] for row in rows(os.path.join(out, method + ".csv"))]
    assert len(merged) == len(ids) and set(merged) == set(ids), f"{method}: merged ids {merged}"
    seen = []
    for k in range(1, shards + 1):
        shard_dir = os.path.join(out, f"shard-{k}-of-{shards}")
        got = [row["image_id"] for row in rows(os.path.join(shard_dir, method + ".csv"))]
        want = [ids[i] for i in range(len(ids)) if i % shards == k - 1]
        assert sorted(got) == sorted(want), f"{method} shard {k}: {got}, expected {want}"
        for image_id in got:
            assert os.path.isfile(os.path.join(shard_dir, "maps", method, image_id + ".npy"))
        seen += got
    assert sorted(seen) == sorted(ids), f"{method}: shards hold {seen}"
print(f"checked {len(methods)} methods x {len(ids)} images in {shards} shards")
