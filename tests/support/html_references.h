// The files an HTML page references: its src="..." and href="..." values, and the pictures of
// `borex report --html`'s data block, percent-decoded.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace borex::testing {

inline std::string UrlDecode(const std::string& url) {
  std::string path;
  for (size_t i = 0; i < url.size(); ++i) {
    if (url[i] == '%' && i + 2 < url.size()) {
      path += static_cast<char>(std::stoi(url.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      path += url[i];
    }
  }
  return path;
}

inline std::vector<std::string> HtmlReferences(const std::string& html) {
  std::vector<std::string> paths;
  for (const std::string attribute : {" src=\"", " href=\""}) {
    for (size_t at = html.find(attribute); at != std::string::npos;
         at = html.find(attribute, at + 1)) {
      const size_t begin = at + attribute.size(), end = html.find('"', begin);
      paths.push_back(UrlDecode(html.substr(begin, end - begin)));
    }
  }
  return paths;
}

// The report's rows as its script reads them: the text of the report-data script element, up to
// the first "</script>" as an HTML parser ends it. Throws when that is not JSON.
inline nlohmann::json ReportData(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"report-data\">";
  const size_t at = html.find(open);
  if (at == std::string::npos) throw std::runtime_error("the page has no report-data element");
  const size_t begin = at + open.size();
  return nlohmann::json::parse(html.substr(begin, html.find("</script>", begin) - begin));
}

// Every picture the report's rows show: each image and each method's map over it.
inline std::vector<std::string> ReportPictures(const nlohmann::json& data) {
  std::vector<std::string> paths;
  for (const nlohmann::json& row : data["rows"]) {
    if (row.contains("image")) paths.push_back(UrlDecode(row["image"]));
    for (const nlohmann::json& cell : row["m"])
      if (!cell.is_null() && cell.contains("overlay")) paths.push_back(UrlDecode(cell["overlay"]));
  }
  return paths;
}

}  // namespace borex::testing
