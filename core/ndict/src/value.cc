#include "fuse/ndict/ndict.h"

#include <charconv>
#include <cstring>

namespace fuse {

const char* value_type_name(ValueType type) {
  switch (type) {
    case ValueType::kNull: return "null";
    case ValueType::kTensor: return "tensor";
    case ValueType::kInt: return "int";
    case ValueType::kDouble: return "double";
    case ValueType::kBool: return "bool";
    case ValueType::kString: return "string";
    case ValueType::kList: return "list";
    case ValueType::kDict: return "dict";
  }
  return "unknown";
}

double Value::as_number() const {
  if (is<int64_t>()) return static_cast<double>(as<int64_t>());
  if (is<double>()) return as<double>();
  throw Error(Errc::kType, std::string("expected a number, found ") + type_name());
}

namespace {

std::string format_double(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  std::string s(buf, end);
  // Keep doubles recognisable as doubles (1.0, not 1).
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

std::string quote(const std::string& s) {
  constexpr size_t kMax = 60;
  if (s.size() <= kMax) return "\"" + s + "\"";
  return "\"" + s.substr(0, kMax) + "...\" (" + std::to_string(s.size()) + " chars)";
}

}  // namespace

std::string Value::summary() const {
  switch (type()) {
    case ValueType::kNull: return "null";
    case ValueType::kTensor: return as<Tensor>().description();
    case ValueType::kInt: return std::to_string(as<int64_t>());
    case ValueType::kDouble: return format_double(as<double>());
    case ValueType::kBool: return as<bool>() ? "true" : "false";
    case ValueType::kString: return quote(as<std::string>());
    case ValueType::kList: {
      const List& list = as<List>();
      constexpr size_t kInline = 8;
      bool scalars = list.size() <= kInline;
      for (const Value& v : list) scalars = scalars && v.type() != ValueType::kList && v.type() != ValueType::kDict;
      if (!scalars) return "list[" + std::to_string(list.size()) + "]";
      std::string s = "[";
      for (size_t i = 0; i < list.size(); ++i) s += (i ? ", " : "") + list[i].summary();
      return s + "]";
    }
    case ValueType::kDict: return "dict{" + std::to_string(as<NDict>().size()) + "}";
  }
  return "?";
}

bool operator==(const Value& a, const Value& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case ValueType::kNull: return true;
    case ValueType::kInt: return a.as<int64_t>() == b.as<int64_t>();
    case ValueType::kDouble: return a.as<double>() == b.as<double>();
    case ValueType::kBool: return a.as<bool>() == b.as<bool>();
    case ValueType::kString: return a.as<std::string>() == b.as<std::string>();
    case ValueType::kList: return a.as<List>() == b.as<List>();
    case ValueType::kDict: return a.as<NDict>() == b.as<NDict>();
    case ValueType::kTensor: {
      const Tensor& x = a.as<Tensor>();
      const Tensor& y = b.as<Tensor>();
      if (!dtype_eq(x.dtype(), y.dtype()) || x.shape() != y.shape()) return false;
      if (x.shares_buffer_with(y)) return true;
      const Tensor cx = x.is_contiguous() ? x : x.clone();
      const Tensor cy = y.is_contiguous() ? y : y.clone();
      return std::memcmp(cx.raw_data(), cy.raw_data(), cx.nbytes()) == 0;
    }
  }
  return false;
}

std::ostream& operator<<(std::ostream& out, const Value& value) { return out << value.summary(); }

}  // namespace fuse
