#!/usr/bin/python3
"""Tests of scripts/train_scene_classifier.py's architectures: each maps a batch of 128x128 scenes
to one logit per class, has the 8x8 `layer4` that borex's Grad-CAM reads (the metadata's
target_layer), and survives torch.jit.script, as the script saves it.

  /usr/bin/python3 tests/scripts/train_scene_classifier_test.py    (ctest: scripts.train)
"""
import os
import sys
import unittest

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))

import train_scene_classifier  # noqa: E402


class ArchitecturesTest(unittest.TestCase):
    def test_logits_grad_cam_layer_and_script(self):
        torch.manual_seed(0)
        x = torch.randn(2, 3, 128, 128)
        for name, architecture in train_scene_classifier.ARCHITECTURES.items():
            model = architecture(10).eval()
            scripted = torch.jit.script(model)  # before the hook, which scripting refuses
            features = []
            model.layer4.register_forward_hook(lambda module, inputs, out: features.append(out))
            with torch.no_grad():
                logits = model(x)
                self.assertTrue(torch.allclose(scripted(x), logits, atol=1e-5), name)
            self.assertEqual(tuple(logits.shape), (2, 10), name)
            self.assertEqual(tuple(features[0].shape[2:]), (8, 8), name)

    def test_the_architectures_differ(self):
        resnet = train_scene_classifier.SceneResNet(10)
        plain = train_scene_classifier.ScenePlainCNN(10)
        self.assertTrue(all(block.residual for block in (resnet.layer1, resnet.layer4)))
        self.assertFalse(any(block.residual for block in (plain.layer1, plain.layer4)))
        self.assertFalse(any("shortcut" in n for n, _ in plain.named_parameters()))
        self.assertEqual(plain.stem[0].kernel_size, (5, 5))
        self.assertEqual(resnet.stem[0].kernel_size, (3, 3))


if __name__ == "__main__":
    unittest.main()
