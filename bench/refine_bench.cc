// How much of `borex refine` is spent outside the model (issue #2's speed target: at most 5%,
// and refine within 1.1x of the same number of plain forward passes).
//
//   build/refine_bench --model build/bench/resnet18_random.pt --benchmark_repetitions=3
//
// BM_PlainForward runs the forward passes refine makes (50 batches of m and m̄) on fixed
// images; BM_Refine runs the whole refinement (candidate set, GP updates, acquisition, masks,
// final full-resolution map) with the same model and reports the share of its time outside the
// model as the counter `outside_model_share`. BM_Forward/N gives the model's time per image at
// batch N; --system-malloc leaves glibc's allocator settings as they are (borex::ReuseFreedMemory
// otherwise, as the CLI does), for the before/after in docs/benchmarks.md ("The allocator").
// The model is a TorchScript or an ONNX file, chosen by its extension as the CLI does.
#include <benchmark/benchmark.h>

#include <iostream>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "borex/core/memory.h"
#include "borex/model/open_classifier.h"
#include "borex/refine/refiner.h"

namespace {

std::string g_model_path;
int g_threads = 0;

borex::model::Classifier& Model() {
  static borex::model::Classifier* classifier = [] {
    borex::model::ModelOptions options;
    options.path = g_model_path;
    options.threads = g_threads;
    borex::model::Classifier* loaded = borex::model::OpenClassifier(options).release();
    loaded->Validate(loaded->WorkingSize(cv::Size(224, 224)));
    return loaded;
  }();
  return *classifier;
}

cv::Mat Image() {
  cv::Mat image(224, 224, CV_32FC3);
  cv::randu(image, 0, 1);
  return image;
}

cv::Mat Prior() {
  cv::Mat prior(224, 224, CV_32FC1);
  cv::randu(prior, 0, 1);
  cv::GaussianBlur(prior, prior, cv::Size(0, 0), 12);
  return prior;
}

void BM_PlainForward(benchmark::State& state) {
  auto& model = Model();
  const cv::Mat image = Image();
  const std::vector<cv::Mat> batch = {image, image};
  for (auto _ : state)
    for (int i = 0; i < 50; ++i) benchmark::DoNotOptimize(model.Logits(batch));
  state.counters["model_calls"] = 100;
}

// BM_Forward/N: one forward pass of N images at the model's working size, and the time per
// image (the counter ms_per_image), which decides how many masks a round and a batch should hold.
void BM_Forward(benchmark::State& state) {
  auto& model = Model();
  cv::Mat image;
  cv::resize(Image(), image, model.WorkingSize(cv::Size(224, 224)));
  const std::vector<cv::Mat> batch(static_cast<size_t>(state.range(0)), image);
  for (auto _ : state) benchmark::DoNotOptimize(model.Logits(batch));
  state.counters["ms_per_image"] = benchmark::Counter(
      static_cast<double>(state.range(0)) * 1e-3,
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// BM_Refine/S/P: stride S, preset P (0: the kriging defaults, the pixel field on an image since
// issue 11's seventh round; 1: the paper's; 2: the authors' code's, whose --hyperopt re-fits the
// length scales after every observation; 3: the kriging defaults over masks, the defaults
// before the seventh round; 4-6: the defaults' final map at the maximum-likelihood σf² (the
// defaults before the twenty-first round), averaged over σf² alone, and with a's prior std fitted
// at its maximum likelihood; the defaults average over σf² and the std; 7: the defaults with the
// twenty-fourth round's deviation floors 0.3 and 0.1).
void BM_Refine(benchmark::State& state) {
  auto& model = Model();
  const cv::Mat image = Image(), prior = Prior();
  // 50 iterations, 4 mask sizes.
  const char* const presets[] = {"kriging", "paper",   "code",    "kriging",
                                 "kriging", "kriging", "kriging", "kriging"};
  borex::refine::RefineOptions options =
      borex::refine::RefineOptions::FromPreset(presets[state.range(1)]);
  if (state.range(1) == 3) options.gp_domain = borex::refine::GpDomain::kMasks;
  if (state.range(1) == 7) options.deviation_floors = {0.3, 0.1};
  if (state.range(1) >= 4 && state.range(1) <= 6) {
    options.average_hyperparameters = state.range(1) == 5;
    options.fit_prior_coefficient_sd = state.range(1) == 6;
  }
  options.stride = static_cast<int>(state.range(0));
  double outside = 0, total = 0;
  for (auto _ : state) {
    const auto result = borex::refine::RunRefinement(model, image, 0, prior, options);
    outside += result.total_seconds - result.model_seconds;
    total += result.total_seconds;
  }
  state.counters["outside_model_share"] = outside / total;
  state.counters["outside_model_ms"] = 1000 * outside / state.iterations();
}

BENCHMARK(BM_PlainForward)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Forward)
    ->ArgName("batch")
    ->DenseRange(1, 8, 1)
    ->Arg(16)
    ->Arg(32)
    ->Arg(64)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_Refine)
    ->ArgNames({"stride", "preset"})
    ->Args({2, 0})
    ->Args({2, 3})
    ->Args({2, 1})
    ->Args({1, 0})
    ->Args({1, 1})
    ->Args({1, 2})
    ->Args({2, 4})
    ->Args({2, 5})
    ->Args({2, 6})
    ->Args({2, 7})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> rest;
  bool system_malloc = false;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--model=", 0) == 0)
      g_model_path = arg.substr(8);
    else if (arg == "--model" && i + 1 < argc)
      g_model_path = argv[++i];
    else if (arg == "--system-malloc")  // glibc's own thresholds, for the before/after
      system_malloc = true;
    else if (arg.rfind("--threads=", 0) == 0)
      g_threads = std::stoi(arg.substr(10));
    else
      rest.push_back(argv[i]);
  }
  if (g_model_path.empty()) {
    std::cerr << "usage: refine_bench --model MODEL.pt|MODEL.onnx [--threads=N] [--system-malloc] "
                 "[benchmark "
                 "flags]\n";
    return 2;
  }
  if (!system_malloc) borex::ReuseFreedMemory();
  int rest_count = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_count, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
