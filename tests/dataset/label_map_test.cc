#include "borex/dataset/label_map.h"

#include <gtest/gtest.h>

#include <fstream>

#include "borex/core/error.h"
#include "support/message_of.h"
#include "support/temp_dir.h"

namespace borex::dataset {
namespace {

using borex::testing::MessageOf;

class LabelMapTest : public testing::TempDirTest {
 protected:
  std::string Write(const std::string& text) {
    std::ofstream(Path("map.txt")) << text;
    return Path("map.txt");
  }
  const std::vector<std::string> voc_ = {"cat", "dog", "bird"};
};

Annotation Annotated(const std::vector<std::string>& names) {
  Annotation annotation;
  for (const std::string& name : names) annotation.objects.push_back({name, {1, 1, 2, 2}, false});
  return annotation;
}

TEST_F(LabelMapTest, ReadsIndicesAndRanges) {
  const LabelMap map =
      LabelMap::FromFile(Write("# ImageNet-style\n2-4 dog\n7 cat  # tabby\n\n"), 10, voc_);
  EXPECT_EQ(map.mapped(), 4);
  EXPECT_EQ(map.DatasetClass(3), "dog");
  EXPECT_EQ(map.DatasetClass(7), "cat");
  EXPECT_EQ(map.DatasetClass(5), "");
  EXPECT_EQ(map.DatasetClass(-1), "");
}

TEST_F(LabelMapTest, RejectsBadLinesNamingThem) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"1 cat\n2 horse\n", "line 2: 'horse' is not a dataset class"},
      {"12 cat\n", "outside the model's 0..9"},
      {"3-1 cat\n", "is not INDEX or FIRST-LAST"},
      {"x cat\n", "is not INDEX or FIRST-LAST"},
      {"1\n", "expected 'INDEX NAME'"},
      {"1 cat dog\n", "expected 'INDEX NAME'"},
      {"1 cat\n1 dog\n", "already mapped"},
      {"# nothing\n", "maps no class"}};
  for (const auto& [text, needle] : cases) {
    try {
      LabelMap::FromFile(Write(text), 10, voc_);
      ADD_FAILURE() << text;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  }
  // Bug: a directory read as a file that maps no class.
  EXPECT_EQ(MessageOf<InputError>([&] { LabelMap::FromFile(dir_.string(), 10, voc_); }),
            dir_.string() + ": is a directory, not a label map file");
}

TEST_F(LabelMapTest, ClassNamesMapToThemselves) {
  const LabelMap map = LabelMap::FromClassNames({"dog", "car", "cat"}, voc_);
  EXPECT_EQ(map.mapped(), 2);
  EXPECT_EQ(map.DatasetClass(1), "");
  EXPECT_TRUE(LabelMap::FromClassNames({"car"}, voc_).empty());
}

TEST_F(LabelMapTest, ChoosesTheBestRankedAnnotatedClassAmongTopK) {
  const LabelMap map = LabelMap::FromFile(Write("0-1 dog\n2 cat\n3 bird\n"), 5, voc_);
  Eigen::VectorXf probabilities(5);
  probabilities << 0.1f, 0.2f, 0.3f, 0.05f, 0.35f;  // ranking: 4, 2, 1, 0, 3
  TargetLabel target = ChooseTargetLabel(probabilities, map, Annotated({"dog", "bird"}), 10);
  EXPECT_EQ(target.label, 1);
  EXPECT_EQ(target.class_name, "dog");
  EXPECT_EQ(ChooseTargetLabel(probabilities, map, Annotated({"cat", "dog"}), 10).label, 2);
  // Top-2 is {4, 2}: neither is a dog.
  EXPECT_EQ(ChooseTargetLabel(probabilities, map, Annotated({"dog"}), 2).label, -1);
  EXPECT_EQ(ChooseTargetLabel(probabilities, map, Annotated({"bird"}), 5).label, 3);
}

// The model's classes are 0..N-1: index N is outside, the last index N-1 inside.
TEST_F(LabelMapTest, TheLastClassIsNMinusOneNotN) {
  EXPECT_EQ(LabelMap::FromFile(Write("9 cat\n"), 10, voc_).DatasetClass(9), "cat");
  EXPECT_EQ(MessageOf<InputError>([&] { LabelMap::FromFile(Write("10 cat\n"), 10, voc_); }),
            Path("map.txt") + ": line 1: class 10 is outside the model's 0..9");
  EXPECT_EQ(MessageOf<InputError>([&] { LabelMap::FromFile(Write("8-10 cat\n"), 10, voc_); }),
            Path("map.txt") + ": line 1: class 8-10 is outside the model's 0..9");
}

}  // namespace
}  // namespace borex::dataset
