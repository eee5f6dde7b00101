#include "borex/explain/method.h"

#include <gtest/gtest.h>

namespace borex::explain {
namespace {

using mask::Infill;

// RISE hides pixels with the model's mean colour, as its authors' code does (the normalised
// image times the masks), and so does the prior refine and batch compute; Opti-CAM and FIDO keep
// black (docs/results.md, "Refinement, third round"). A command's one in-fill flag sets both.
TEST(ExplainOptionsTest, RiseFillsWithTheMeanColourTheOptimisingMethodsWithBlack) {
  const ExplainOptions options;
  EXPECT_EQ(options.rise.infill, Infill::kMean);
  EXPECT_EQ(options.optimising_infill, Infill::kBlack);
  const ExplainOptions prior = ExplainOptions::Prior();
  EXPECT_EQ(prior.rise.infill, Infill::kMean);
  EXPECT_EQ(prior.optimising_infill, Infill::kBlack);

  ExplainOptions set = prior;
  set.SetInfill(Infill::kBlur);
  EXPECT_EQ(set.rise.infill, Infill::kBlur);
  EXPECT_EQ(set.optimising_infill, Infill::kBlur);
  EXPECT_EQ(set.rise.masks, prior.rise.masks);  // nothing else changes
}

}  // namespace
}  // namespace borex::explain
