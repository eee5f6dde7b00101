#!/usr/bin/python3
"""Tests of scripts/model_training.py, what the training scripts share: the normalisation
statistics equal those over all pixels in float64, a missing output folder stops before training,
and a saved model carries its metadata, is refused when its scripted form disagrees with it, and
has its facts written beside it.

  /usr/bin/python3 tests/scripts/model_training_test.py    (ctest: scripts_model_training)
"""
import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import unittest

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))

import model_training  # noqa: E402


class ChannelStatisticsTest(unittest.TestCase):
    def test_equals_the_float64_statistics_over_all_pixels(self):
        rng = np.random.default_rng(3)
        images = rng.integers(0, 256, size=(7, 5, 6, 3), dtype=np.uint8)
        images[..., 1] //= 3  # channels with different statistics
        pixels = images.reshape(-1, 3).astype(np.float64) / 255.0
        for chunk in (1, 3, 7, 100):  # chunks that do and do not divide the count
            mean, std = model_training.channel_mean_std(images, chunk=chunk)
            self.assertEqual(mean, [round(float(v), 4) for v in pixels.mean(0)], chunk)
            self.assertEqual(std, [round(float(v), 4) for v in pixels.std(0)], chunk)

    def test_clips_count_every_frame(self):
        clips = np.zeros((2, 4, 3, 3, 3), np.uint8)  # [N, T, H, W, 3]
        clips[1, 3] = 255  # one frame of eight white: mean 1/8, std sqrt(7)/8
        mean, std = model_training.channel_mean_std(clips, chunk=1)
        self.assertEqual(mean, [0.125] * 3)
        self.assertEqual(std, [round(np.sqrt(7) / 8, 4)] * 3)

    def test_constant_images_have_zero_spread(self):
        images = np.full((4, 2, 2, 3), 51, np.uint8)
        self.assertEqual(model_training.channel_mean_std(images, chunk=3),
                         ([0.2, 0.2, 0.2], [0.0, 0.0, 0.0]))


class SaveModelTest(unittest.TestCase):
    def test_the_saved_model_carries_its_metadata_and_outputs(self):
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 3)).eval()
        example = torch.randn(2, 3, 2, 2)
        meta = {"format": "borex-model/1", "class_names": ["a", "b", "c"]}
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "m.pt")
            model_training.save_model(model, example, out, meta, "test")
            extra = {"borex.json": ""}
            loaded = torch.jit.load(out, _extra_files=extra)
            self.assertEqual(json.loads(extra["borex.json"]), meta)
            with torch.no_grad():
                self.assertTrue(torch.allclose(loaded(example), model(example), atol=1e-6))

    def test_a_scripted_model_that_disagrees_is_refused_and_not_written(self):
        # In training mode dropout draws other units in the scripted run than in the original's.
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Dropout(0.5), torch.nn.Linear(64, 64)).train()
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "m.pt")
            with self.assertRaisesRegex(SystemExit, "test: scripted model disagrees"):
                model_training.save_model(model, torch.ones(4, 64), out, {}, "test")
            self.assertFalse(os.path.exists(out))


class CheckOutputPathsTest(unittest.TestCase):
    def test_a_missing_folder_stops_with_the_option_and_the_folder(self):
        parser = argparse.ArgumentParser(prog="train")
        with tempfile.TemporaryDirectory() as tmp:
            missing = os.path.join(tmp, "absent", "m.onnx")
            said = io.StringIO()
            with contextlib.redirect_stderr(said), self.assertRaises(SystemExit) as stop:
                model_training.check_output_paths(parser, out=os.path.join(tmp, "m.pt"),
                                                  onnx=missing)
            self.assertEqual(stop.exception.code, 2)
            self.assertIn(f"--onnx {missing}: folder {os.path.dirname(missing)} does not exist",
                          said.getvalue())

    def test_existing_folders_and_absent_options_pass(self):
        with tempfile.TemporaryDirectory() as tmp:
            model_training.check_output_paths(argparse.ArgumentParser(),
                                              out=os.path.join(tmp, "m.pt"), onnx=None)


class WriteFactsTest(unittest.TestCase):
    def test_facts_go_beside_the_model(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "model.pt")
            with open(out, "wb") as f:
                f.write(b"12345")
            with contextlib.redirect_stdout(io.StringIO()) as said:
                model_training.write_facts(out, {"seed": 1, "history": [{"epoch": 1}]})
            with open(os.path.join(tmp, "model.json")) as f:
                text = f.read()
            self.assertTrue(text.endswith("}\n"))
            self.assertEqual(json.loads(text), {"seed": 1, "history": [{"epoch": 1}]})
            self.assertIn(f"wrote {out} (5 bytes) and its .json", said.getvalue())


if __name__ == "__main__":
    unittest.main()
