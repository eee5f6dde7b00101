// One table per enum of names that flags, summaries and CSVs use: parsing and naming read the
// same table, so the two can never disagree, and every error lists the accepted names.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "borex/core/error.h"

namespace borex {

template <typename Enum>
class EnumNames {
 public:
  // (value, name) pairs; a value may have several names (aliases): the first is its name.
  EnumNames(std::initializer_list<std::pair<Enum, const char*>> entries) : entries_(entries) {}

  // The value called `name`; OptionError naming `option` and listing the names otherwise.
  Enum Parse(const std::string& name, const std::string& option) const {
    for (const auto& [value, text] : entries_)
      if (name == text) return value;
    throw OptionError(option, "'" + name + "' is not one of " + List());
  }

  std::string Name(Enum value) const {
    for (const auto& [entry, text] : entries_)
      if (entry == value) return text;
    throw Error("an enum value without a name");
    return {};
  }

  // "a, b, c": each value's name, in table order; `excluded`'s values left out (those a caller
  // refuses although the table names them).
  std::string List(std::initializer_list<Enum> excluded = {}) const {
    std::string list;
    std::vector<Enum> listed(excluded);
    for (const auto& [value, text] : entries_) {
      bool seen = false;
      for (const Enum other : listed) seen = seen || other == value;
      if (seen) continue;
      listed.push_back(value);
      list += (list.empty() ? "" : ", ") + std::string(text);
    }
    return list;
  }

 private:
  std::vector<std::pair<Enum, const char*>> entries_;
};

}  // namespace borex
