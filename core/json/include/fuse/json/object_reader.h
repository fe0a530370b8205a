// Reading a JSON object written by a person (an experiment or evaluation file): typed members, defaults, and
// errors located as file:line:column with what was expected. Unknown members are rejected with a "did you
// mean", so a misspelt option never passes silently.
#ifndef FUSE_JSON_OBJECT_READER_H_
#define FUSE_JSON_OBJECT_READER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "fuse/json/document.h"

namespace fuse::json {

class ObjectReader {
 public:
  // `value` must be an object (else an error at `pointer`); `what` names it in messages ("the evaluation").
  ObjectReader(const Document& document, const boost::json::value& value, std::string pointer, std::string what);

  // Rejects members not in `names`.
  void allow(const std::vector<std::string>& names) const;

  bool has(const std::string& name) const { return object_->contains(name); }
  const boost::json::value* find(const std::string& name) const { return object_->if_contains(name); }
  const boost::json::object& object() const { return *object_; }
  std::string pointer(const std::string& name) const { return child_pointer(pointer_, name); }
  const std::string& pointer() const { return pointer_; }

  std::string string(const std::string& name, std::optional<std::string> fallback = std::nullopt) const;
  double number(const std::string& name, std::optional<double> fallback = std::nullopt,
                std::optional<double> min = std::nullopt, std::optional<double> max = std::nullopt) const;
  int64_t integer(const std::string& name, std::optional<int64_t> fallback = std::nullopt,
                  std::optional<int64_t> min = std::nullopt) const;
  bool boolean(const std::string& name, std::optional<bool> fallback = std::nullopt) const;
  // A string or an array of strings; empty when absent.
  std::vector<std::string> strings(const std::string& name) const;
  // A string member whose value must be one of `choices`.
  std::string choice(const std::string& name, const std::vector<std::string>& choices, const std::string& fallback) const;

  // Error(kConfig) "<file>:<line>:<column>: <message>" at the member `name` (or the object when empty).
  [[noreturn]] void fail(const std::string& name, const std::string& message) const;
  [[noreturn]] void fail_at(const std::string& pointer, const std::string& message) const;

 private:
  const boost::json::value& required(const std::string& name) const;
  const Document& document_;
  const boost::json::object* object_;
  std::string pointer_;
  std::string what_;
};

}  // namespace fuse::json

#endif  // FUSE_JSON_OBJECT_READER_H_
