// The files an HTML page references: its src="..." and href="..." values, percent-decoded.
#pragma once

#include <string>
#include <vector>

namespace borex::testing {

inline std::vector<std::string> HtmlReferences(const std::string& html) {
  std::vector<std::string> paths;
  for (const std::string attribute : {" src=\"", " href=\""}) {
    for (size_t at = html.find(attribute); at != std::string::npos;
         at = html.find(attribute, at + 1)) {
      const size_t begin = at + attribute.size(), end = html.find('"', begin);
      const std::string url = html.substr(begin, end - begin);
      std::string path;
      for (size_t i = 0; i < url.size(); ++i) {
        if (url[i] == '%' && i + 2 < url.size()) {
          path += static_cast<char>(std::stoi(url.substr(i + 1, 2), nullptr, 16));
          i += 2;
        } else {
          path += url[i];
        }
      }
      paths.push_back(path);
    }
  }
  return paths;
}

}  // namespace borex::testing
