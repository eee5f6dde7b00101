// The commands on ONNX models (the test fixture onnx_models exports the bundled models into
// BOREX_ONNX_DIR): black-box methods and metrics work in every command, white-box methods and
// malformed files get one line, their exit status and no output.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "borex/io/npy.h"
#include "support/run_borex.h"
#include "support/temp_dir.h"

namespace {

using borex::testing::ExpectCleanFailure;
using borex::testing::RunBorex;

const std::string kSource = BOREX_SOURCE_DIR;
const std::string kSceneOnnx = std::string(BOREX_ONNX_DIR) + "/fashion_scenes_resnet.onnx";
const std::string kVideoOnnx = std::string(BOREX_ONNX_DIR) + "/fashion_video_r2plus1d_batch4.onnx";
const std::string kImage = " --image " + kSource + "/examples/scene_single.png --threads 2";

class OnnxCliTest : public borex::testing::TempDirTest {
 protected:
  nlohmann::json ReadJson(const std::string& name) const {
    std::ifstream in(Path(name));
    return nlohmann::json::parse(in);
  }
};

TEST_F(OnnxCliTest, WhiteBoxMethodsAreRefusedBeforeAnyOutput) {
  const std::string out = " --out " + Path("map");
  for (const std::string method : {"gradcam", "gradcam++", "opticam", "fido-ssr", "fido-sdr"}) {
    const std::string needle = method + " needs a TorchScript model";
    ExpectCleanFailure("explain --model " + kSceneOnnx + kImage + " --method " + method + out, 2,
                       "--method: " + needle, dir_);
    ExpectCleanFailure("refine --model " + kSceneOnnx + kImage + " --prior-method " + method + out,
                       2, "--prior-method: " + needle, dir_);
    ExpectCleanFailure("batch --model " + kSceneOnnx + " --voc-root " + kSource +
                           "/tests/data/voc_tiny --split test --methods rise,borex:" + method +
                           " --out " + Path("batch"),
                       2, "--methods: " + needle, dir_);
  }
  ExpectCleanFailure("batch --model " + kSceneOnnx + " --voc-root " + kSource +
                         "/tests/data/voc_tiny --split test --methods rise,gradcam --out " +
                         Path("batch"),
                     2, "--methods: gradcam needs a TorchScript model", dir_);
}

TEST_F(OnnxCliTest, MalformedModelFilesAreInputErrors) {
  std::ifstream in(kSceneOnnx, std::ios::binary);
  const std::string model{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const std::string truncated = Path("input_truncated.onnx"), text = Path("input_text.onnx");
  std::ofstream(truncated, std::ios::binary) << model.substr(0, 4096);
  std::ofstream(text) << "not an onnx model\n";
  for (const std::string& path : {truncated, text}) {
    const std::string needle = path + ": not a readable ONNX model (";
    ExpectCleanFailure("explain --model " + path + kImage + " --out " + Path("e"), 4, needle, dir_);
    ExpectCleanFailure("refine --model " + path + kImage + " --out " + Path("r"), 4, needle, dir_);
    ExpectCleanFailure("evaluate --model " + path + kImage + " --saliency " + path, 4, needle,
                       dir_);
    ExpectCleanFailure("batch --model " + path + " --voc-root " + kSource +
                           "/tests/data/voc_tiny --split test --out " + Path("b"),
                       4, needle, dir_);
  }
}

TEST_F(OnnxCliTest, BlackBoxMethodsAndMetricsMatchTorchScript) {
  const std::string torch = kSource + "/models/fashion_scenes_resnet.pt";
  for (const auto& [model, prefix] : {std::pair{torch, "t"}, std::pair{kSceneOnnx, "o"}}) {
    const auto run = RunBorex("explain --model " + model + kImage +
                              " --method pn-rise --masks 1000 --seed 4 --out " + Path(prefix));
    ASSERT_EQ(run.status, 0) << run.err;
  }
  const cv::Mat expected = borex::io::ReadNpyMap(Path("t.npy"));
  const cv::Mat actual = borex::io::ReadNpyMap(Path("o.npy"));
  EXPECT_LE(cv::norm(actual, expected, cv::NORM_INF), 1e-4 * cv::norm(expected, cv::NORM_INF));
  EXPECT_EQ(ReadJson("o.json")["label"], ReadJson("t.json")["label"]);

  // The same map scored by both backends.
  for (const auto& [model, json] :
       {std::pair{torch, "te.json"}, std::pair{kSceneOnnx, "oe.json"}}) {
    const auto run =
        RunBorex("evaluate --model " + model + kImage + " --saliency " + Path("t.npy") +
                 " --annotation " + kSource + "/examples/scene_single.xml --json " + Path(json));
    ASSERT_EQ(run.status, 0) << run.err;
  }
  for (const char* metric : {"insertion", "deletion", "f_measure", "average_drop", "hide_top"})
    EXPECT_NEAR(ReadJson("oe.json")[metric].get<double>(),
                ReadJson("te.json")[metric].get<double>(), 1e-3)
        << metric;
}

TEST_F(OnnxCliTest, RefineAndBatchRunOnAnOnnxModel) {
  auto run = RunBorex("refine --model " + kSceneOnnx + kImage + " --out " + Path("r"));
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(ReadJson("r.json")["model"], kSceneOnnx);
  run = RunBorex("batch --model " + kSceneOnnx + " --voc-root " + kSource +
                 "/tests/data/voc_tiny --split test --limit 1 --methods rise,borex:rise,mokuwe "
                 "--no-progress --out " +
                 Path("batch"));
  ASSERT_EQ(run.status, 0) << run.err;
  for (const char* csv : {"rise.csv", "borex:rise.csv", "mokuwe.csv"})
    EXPECT_TRUE(std::filesystem::exists(Path("batch/") + csv)) << csv;
}

TEST_F(OnnxCliTest, VideoRiseOnAFixedBatchGraph) {
  const std::string clip = " --video " + kSource + "/examples/clip_moving --threads 2";
  for (const auto& [model, prefix] : {std::pair{kSource + "/models/fashion_video_r2plus1d.pt", "t"},
                                      std::pair{kVideoOnnx, "o"}}) {
    const auto run = RunBorex("explain --model " + model + clip +
                              " --method rise --masks 64 --batch-size 8 --out " + Path(prefix));
    ASSERT_EQ(run.status, 0) << run.err;
  }
  const std::vector<cv::Mat> expected = borex::io::ReadNpyMap3D(Path("t.npy"));
  const std::vector<cv::Mat> actual = borex::io::ReadNpyMap3D(Path("o.npy"));
  ASSERT_EQ(actual.size(), 16u);
  ASSERT_EQ(expected.size(), 16u);
  for (size_t t = 0; t < actual.size(); ++t)
    EXPECT_LE(cv::norm(actual[t], expected[t], cv::NORM_INF),
              1e-4 * cv::norm(expected[t], cv::NORM_INF))
        << "frame " << t;
}

}  // namespace
