#include "fuse/json/write.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace fuse::json {
namespace {

namespace bj = boost::json;

void write_string(std::string_view s, std::string& out) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void newline(const WriteOptions& o, int depth, std::string& out) {
  if (o.indent <= 0) return;
  out += '\n';
  out.append(static_cast<size_t>(o.indent * depth), ' ');
}

void write(const bj::value& v, const WriteOptions& o, int depth, std::string& out) {
  switch (v.kind()) {
    case bj::kind::null: out += "null"; break;
    case bj::kind::bool_: out += v.as_bool() ? "true" : "false"; break;
    case bj::kind::int64: out += std::to_string(v.as_int64()); break;
    case bj::kind::uint64: out += std::to_string(v.as_uint64()); break;
    case bj::kind::double_: {
      const double d = v.as_double();
      if (!std::isfinite(d)) {
        out += "null";
        break;
      }
      std::string s = format_number(d);
      if (s.find_first_of(".e") == std::string::npos) s += ".0";
      out += s;
      break;
    }
    case bj::kind::string: write_string(v.as_string(), out); break;
    case bj::kind::array: {
      const bj::array& a = v.as_array();
      out += '[';
      // Arrays of scalars stay on one line: tensors and shapes read better that way.
      bool flat = true;
      for (const bj::value& e : a) flat = flat && !e.is_array() && !e.is_object();
      for (size_t i = 0; i < a.size(); ++i) {
        if (i) out += flat || o.indent <= 0 ? ", " : ",";
        if (!flat) newline(o, depth + 1, out);
        write(a[i], o, depth + 1, out);
      }
      if (!flat && !a.empty()) newline(o, depth, out);
      out += ']';
      break;
    }
    case bj::kind::object: {
      const bj::object& obj = v.as_object();
      out += '{';
      size_t i = 0;
      for (const auto& m : obj) {
        if (i++) out += o.indent > 0 ? "," : ", ";
        newline(o, depth + 1, out);
        write_string(m.key(), out);
        out += ": ";
        write(m.value(), o, depth + 1, out);
      }
      if (!obj.empty()) newline(o, depth, out);
      out += '}';
      break;
    }
  }
}

}  // namespace

std::string to_text(const bj::value& value, const WriteOptions& options) {
  std::string out;
  write(value, options, 0, out);
  return out;
}

std::string format_number(double value) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  return std::string(buf, end);
}

}  // namespace fuse::json
