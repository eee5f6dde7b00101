#include "borex/io/json_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>

#include "borex/core/error.h"
#include "support/temp_dir.h"

namespace borex::io {
namespace {
namespace fs = std::filesystem;

class JsonFileTest : public borex::testing::TempDirTest {
 protected:
  static std::string ReadText(const std::string& path) {
    std::ifstream stream(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>());
  }
};

TEST_F(JsonFileTest, RoundTripsPrettyPrinted) {
  const nlohmann::json value = {
      {"image", "chat é.png"}, {"label", 281}, {"scores", {0.25, 0.5}}, {"nested", {{"ok", true}}}};
  WriteJson(Path("r.json"), value);
  EXPECT_EQ(ReadJson(Path("r.json")), value);
  const std::string text = ReadText(Path("r.json"));
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.substr(0, 4), "{\n  ") << "indent 2";
}

TEST_F(JsonFileTest, NonFiniteNumbersAreWrittenAsNull) {
  const nlohmann::json value = {{"nan", std::numeric_limits<double>::quiet_NaN()},
                                {"inf", -std::numeric_limits<double>::infinity()},
                                {"ok", 1.5}};
  WriteJson(Path("r.json"), value);
  const std::string text = ReadText(Path("r.json"));
  EXPECT_NE(text.find("\"nan\": null"), std::string::npos) << text;
  EXPECT_NE(text.find("\"inf\": null"), std::string::npos) << text;
  const nlohmann::json back = ReadJson(Path("r.json"));  // valid JSON
  EXPECT_TRUE(back["nan"].is_null());
  EXPECT_EQ(back["ok"], 1.5);
}

TEST_F(JsonFileTest, InvalidUtf8IsReplacedNotFatal) {
  WriteJson(Path("r.json"), {{"path", std::string("caf\xe9.png")}});   // Latin-1 byte
  EXPECT_EQ(ReadJson(Path("r.json"))["path"], "caf\xef\xbf\xbd.png");  // U+FFFD
}

TEST_F(JsonFileTest, ParseErrorNamesFileAndPosition) {
  std::ofstream(Path("bad.json")) << "{\n  \"a\": 1,\n  \"b\": ]\n}\n";
  try {
    ReadJson(Path("bad.json"));
    FAIL() << "should throw";
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind(Path("bad.json") + ": invalid JSON: parse error at line 3", 0), 0u)
        << message;
    EXPECT_EQ(message.find("[json.exception"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

// Found by tests/fuzz/clip_annotation_fuzz: the parser reports this as out_of_range, not
// parse_error, and it escaped ReadJson.
TEST_F(JsonFileTest, NumberBeyondDoubleIsInputError) {
  std::ofstream(Path("big.json")) << "{\"frames\": 1e999}";
  try {
    ReadJson(Path("big.json"));
    FAIL() << "should throw";
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind(Path("big.json") + ": invalid JSON: number overflow", 0), 0u)
        << message;
  }
}

TEST_F(JsonFileTest, MissingFileAndEmptyFile) {
  try {
    ReadJson(Path("none.json"));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), Path("none.json") + ": file does not exist");
  }
  std::ofstream(Path("empty.json")).flush();
  EXPECT_THROW(ReadJson(Path("empty.json")), InputError);
}

TEST_F(JsonFileTest, WriteIntoMissingDirectoryIsOutputError) {
  EXPECT_THROW(WriteJson(Path("missing/r.json"), nlohmann::json::object()), OutputError);
}

TEST(JsonFieldTest, ReturnsTheFieldOrNamesFileFieldAndValue) {
  const nlohmann::json object = {{"frames", 16}, {"name", "clip"}, {"long", std::string(60, 'x')}};
  EXPECT_EQ(JsonField(object, "frames", IsJsonPositiveInteger, "a positive integer", "f.json"), 16);
  EXPECT_EQ(JsonField(object, "name", IsJsonString, "a string", "f.json"), "clip");
  const auto message = [&](const nlohmann::json& value, const char* key) {
    try {
      JsonField(value, key, IsJsonPositiveInteger, "a positive integer", "f.json", "video: ");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message(object, "stride"), "f.json: video: no \"stride\" field");
  EXPECT_EQ(message(object, "name"),
            "f.json: video: \"name\" must be a positive integer, got \"clip\"");
  EXPECT_EQ(message(nlohmann::json::array({1}), "frames"),
            "f.json: video: must be a JSON object, got [1]");
  // Long values are cut short.
  EXPECT_EQ(message(object, "long"), "f.json: video: \"long\" must be a positive integer, got \"" +
                                         std::string(36, 'x') + "...");
  EXPECT_FALSE(IsJsonPositiveInteger(0));
  EXPECT_FALSE(IsJsonPositiveInteger(1.5));
  EXPECT_FALSE(IsJsonPositiveInteger(1000001));
  EXPECT_TRUE(IsJsonPositiveInteger(1000000));
}

// A value of up to 40 characters is shown whole; a longer one is cut to 37 and "...".
TEST(JsonFieldTest, ShownJsonKeepsFortyCharactersAndCutsFortyOne) {
  const std::string forty = "\"" + std::string(38, 'x') + "\"";
  EXPECT_EQ(ShownJson(std::string(38, 'x')), forty);
  EXPECT_EQ(ShownJson(std::string(39, 'x')), "\"" + std::string(36, 'x') + "...");
}

}  // namespace
}  // namespace borex::io
