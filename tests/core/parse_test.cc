#include "borex/core/parse.h"

#include <gtest/gtest.h>

#include "borex/core/error.h"

namespace borex {
namespace {

TEST(ParseTest, ToNumberTakesOnlyAWholeFiniteNumber) {
  EXPECT_EQ(ToNumber("12"), 12.0);
  EXPECT_EQ(ToNumber("-1.5e-3"), -1.5e-3);
  EXPECT_EQ(ToNumber(".5"), 0.5);
  for (const char* bad : {"", "12abc", " 12", "12 ", "nan", "inf", "-inf", "1e999", "12,20", "x"})
    EXPECT_FALSE(ToNumber(bad).has_value()) << "'" << bad << "'";
}

TEST(ParseTest, ToIntegerTakesOnlyDecimalDigits) {
  EXPECT_EQ(ToInteger("42"), 42);
  EXPECT_EQ(ToInteger("-7"), -7);
  EXPECT_EQ(ToInteger("+7"), 7);
  for (const char* bad : {"", "-", "4.2", "1e3", "0x10", " 4", "4 ", "99999999999999999999999"})
    EXPECT_FALSE(ToInteger(bad).has_value()) << "'" << bad << "'";
}

TEST(ParseTest, NumberListsHaveTheirCountAndNoStrayCommas) {
  EXPECT_EQ(ParseNumberList("12", "--x", 1, 2, "A[,B]"), std::vector<double>({12}));
  EXPECT_EQ(ParseNumberList("12,20", "--x", 1, 2, "A[,B]"), std::vector<double>({12, 20}));
  for (const char* bad : {"", "12,20,30", "12,", ",12", "12,,20", "12abc", "12;20"}) {
    try {
      ParseNumberList(bad, "--length-scale", 1, 2, "POS[,SIZE]");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const OptionError& e) {
      EXPECT_EQ(std::string(e.what()),
                std::string("--length-scale: '") + bad + "' is not POS[,SIZE]");
    }
  }
}

// A number that underflows (strtod's ERANGE) is refused, not read as 0.
TEST(ParseTest, ToNumberRefusesANumberThatUnderflows) {
  EXPECT_FALSE(ToNumber("1e-400").has_value());
  EXPECT_FALSE(ToNumber("-1e-400").has_value());
  EXPECT_EQ(ToNumber("1e-300"), 1e-300);  // small, but a normal double
}

// A list shorter than its minimum (--mean 0.5,0.5 for R,G,B) is refused: its missing values
// would be read past its end.
TEST(ParseTest, NumberListsBelowTheirMinimumCountAreRefused) {
  EXPECT_EQ(ParseNumberList("1,2,3", "--mean", 3, 3, "R,G,B"), std::vector<double>({1, 2, 3}));
  for (const char* bad : {"0.5", "0.5,0.5"}) {
    try {
      ParseNumberList(bad, "--mean", 3, 3, "R,G,B");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const OptionError& e) {
      EXPECT_EQ(std::string(e.what()), std::string("--mean: '") + bad + "' is not R,G,B");
    }
  }
}

}  // namespace
}  // namespace borex
