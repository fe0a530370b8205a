#include "fuse/ndict/ndict.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <sstream>

#include "fuse/base/strings.h"

namespace fuse {

NDict::NDict() = default;
NDict::NDict(const NDict&) = default;
NDict::NDict(NDict&&) noexcept = default;
NDict& NDict::operator=(const NDict&) = default;
NDict& NDict::operator=(NDict&&) noexcept = default;
NDict::~NDict() = default;

namespace {

// Parses a list index segment; nullopt unless it is a plain decimal number.
std::optional<size_t> parse_index(std::string_view segment) {
  size_t index = 0;
  if (segment.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(segment.data(), segment.data() + segment.size(), index);
  if (ec != std::errc() || end != segment.data() + segment.size()) return std::nullopt;
  return index;
}

// Keys are short: plain loops beat calls to memcmp/memchr here (measured in bench/ndict_bench).
bool same_key(const std::string& key, std::string_view name) {
  const size_t n = name.size();
  if (key.size() != n) return false;
  const char* a = key.data();
  const char* b = name.data();
  for (size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

size_t find_dot(std::string_view key, size_t from) {
  for (size_t i = from; i < key.size(); ++i)
    if (key[i] == '.') return i;
  return std::string_view::npos;
}

NDict::Entry* find_entry(std::vector<NDict::Entry>& entries, std::string_view name) {
  for (NDict::Entry& e : entries)
    if (same_key(e.key, name)) return &e;
  return nullptr;
}

void collect_leaves(const NDict& dict, const std::string& prefix,
                    std::vector<std::pair<std::string, const Value*>>& out) {
  for (const NDict::Entry& e : dict.entries()) {
    std::string key = prefix.empty() ? e.key : prefix + "." + e.key;
    if (e.value.is<NDict>() && !e.value.as<NDict>().empty())
      collect_leaves(e.value.as<NDict>(), key, out);
    else
      out.emplace_back(std::move(key), &e.value);
  }
}

// Every key that names something (leaves and the dicts above them), for "nearest key" suggestions.
void collect_paths(const NDict& dict, const std::string& prefix, std::vector<std::string>& out) {
  for (const NDict::Entry& e : dict.entries()) {
    std::string key = prefix.empty() ? e.key : prefix + "." + e.key;
    out.push_back(key);
    if (e.value.is<NDict>()) collect_paths(e.value.as<NDict>(), key, out);
  }
}

void print(const NDict& dict, int indent, std::ostream& out) {
  const std::string pad(static_cast<size_t>(indent) * 2, ' ');
  for (const NDict::Entry& e : dict.entries()) {
    if (e.value.is<NDict>() && !e.value.as<NDict>().empty()) {
      out << pad << e.key << ":\n";
      print(e.value.as<NDict>(), indent + 1, out);
    } else {
      out << pad << e.key << ": " << e.value.summary() << "\n";
    }
  }
}

}  // namespace

Value* NDict::child(Value& parent, std::string_view segment) {
  if (parent.is<NDict>()) {
    Entry* e = find_entry(parent.as<NDict>().entries_, segment);
    return e ? &e->value : nullptr;
  }
  if (parent.is<List>()) {
    List& list = parent.as<List>();
    std::optional<size_t> i = parse_index(segment);
    return i && *i < list.size() ? &list[*i] : nullptr;
  }
  return nullptr;
}

Value* NDict::find(std::string_view key) {
  if (key.empty()) return nullptr;
  size_t dot = find_dot(key, 0);
  Entry* e = find_entry(entries_, key.substr(0, dot));
  if (e == nullptr) return nullptr;
  Value* cur = &e->value;
  while (dot != std::string_view::npos && cur != nullptr) {
    const size_t start = dot + 1;
    dot = find_dot(key, start);
    cur = child(*cur, key.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
  }
  return cur;
}

const Value* NDict::find(std::string_view key) const { return const_cast<NDict*>(this)->find(key); }

const Value& NDict::at(std::string_view key) const {
  if (const Value* v = find(key)) return *v;
  throw Error(Errc::kKeyNotFound, missing_key_message(key));
}

Value& NDict::at(std::string_view key) { return const_cast<Value&>(std::as_const(*this).at(key)); }

std::string NDict::missing_key_message(std::string_view key) const {
  std::string message = "key '" + std::string(key) + "' missing; ";
  std::vector<std::string> present;
  collect_paths(*this, "", present);
  if (present.empty()) return message + "the dict is empty";
  constexpr size_t kListAll = 8;
  if (present.size() <= kListAll) return message + "present: " + join(present, ", ");
  return message + "nearest present: " + join(nearest(key, present, 5), ", ") + " (of " +
         std::to_string(present.size()) + " keys)";
}

Value& NDict::set(std::string_view key, Value value) {
  if (key.empty()) throw_error(Errc::kInvalidArgument, "cannot set an empty key");
  // Checked before anything changes, so a bad key leaves the dict as it was.
  if (key.front() == '.' || key.back() == '.' || key.find("..") != std::string_view::npos)
    throw_error(Errc::kInvalidArgument, "key '" + std::string(key) + "' has an empty segment");
  // Walk segment by segment (no allocation on the common path), creating dicts on the way.
  NDict* dict = this;
  List* list = nullptr;
  size_t start = 0;
  while (true) {
    const size_t dot = find_dot(key, start);
    const std::string_view segment = key.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    Value* slot = nullptr;
    if (dict != nullptr) {
      Entry* e = find_entry(dict->entries_, segment);
      if (e == nullptr) {
        dict->entries_.push_back(Entry{std::string(segment), dot == std::string_view::npos ? std::move(value) : Value(NDict())});
        if (dot == std::string_view::npos) return dict->entries_.back().value;
        e = &dict->entries_.back();
      }
      slot = &e->value;
    } else {
      std::optional<size_t> index = parse_index(segment);
      if (!index || *index >= list->size())
        throw_error(Errc::kKeyNotFound, "cannot set '" + std::string(key) + "': '" + std::string(segment) +
                                            "' is not an index of a list of " + std::to_string(list->size()));
      slot = &(*list)[*index];
    }
    if (dot == std::string_view::npos) {
      *slot = std::move(value);
      return *slot;
    }
    if (slot->is<NDict>()) {
      dict = &slot->as<NDict>();
      list = nullptr;
    } else if (slot->is<List>()) {
      list = &slot->as<List>();
      dict = nullptr;
    } else {
      throw_error(Errc::kType, "cannot set '" + std::string(key) + "': '" + std::string(key.substr(0, start + segment.size())) +
                                   "' holds " + slot->type_name() + ", not a dict");
    }
    start = dot + 1;
  }
}

std::optional<Value> NDict::pop(std::string_view key) {
  const size_t dot = key.rfind('.');
  std::vector<Entry>* entries = &entries_;
  std::string_view name = key;
  if (dot != std::string_view::npos) {
    Value* parent = find(key.substr(0, dot));
    name = key.substr(dot + 1);
    if (parent == nullptr) return std::nullopt;
    if (parent->is<List>()) {
      List& list = parent->as<List>();
      std::optional<size_t> i = parse_index(name);
      if (!i || *i >= list.size()) return std::nullopt;
      Value v = std::move(list[*i]);
      list.erase(list.begin() + static_cast<std::ptrdiff_t>(*i));
      return v;
    }
    if (!parent->is<NDict>()) return std::nullopt;
    entries = &parent->as<NDict>().entries_;
  }
  auto it = std::find_if(entries->begin(), entries->end(), [&](const Entry& e) { return e.key == name; });
  if (it == entries->end()) return std::nullopt;
  Value v = std::move(it->value);
  entries->erase(it);
  return v;
}

bool NDict::erase(std::string_view key) { return pop(key).has_value(); }

std::vector<std::string> NDict::keys() const {
  std::vector<std::string> out;
  for (auto& [key, value] : flatten()) out.push_back(key);
  return out;
}

namespace {

bool glob_match(std::string_view pattern, std::string_view key) {
  if (pattern.empty()) return key.empty();
  if (pattern.substr(0, 2) == "**") {
    for (size_t skip = 0; skip <= key.size(); ++skip)
      if (glob_match(pattern.substr(2), key.substr(skip))) return true;
    return false;
  }
  if (pattern[0] == '*') {
    for (size_t skip = 0; skip <= key.size(); ++skip) {
      if (glob_match(pattern.substr(1), key.substr(skip))) return true;
      if (skip < key.size() && key[skip] == '.') break;  // '*' stays within a segment
    }
    return false;
  }
  if (key.empty()) return false;
  if (pattern[0] != '?' && pattern[0] != key[0]) return false;
  if (pattern[0] == '?' && key[0] == '.') return false;
  return glob_match(pattern.substr(1), key.substr(1));
}

}  // namespace

std::vector<std::string> NDict::keys_matching(std::string_view pattern) const {
  std::vector<std::string> out;
  for (auto& [key, value] : flatten())
    if (glob_match(pattern, key)) out.push_back(key);
  return out;
}

std::vector<std::string> NDict::child_keys() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const Entry& e : entries_) out.push_back(e.key);
  return out;
}

std::vector<std::pair<std::string, const Value*>> NDict::flatten() const {
  std::vector<std::pair<std::string, const Value*>> out;
  collect_leaves(*this, "", out);
  return out;
}

const NDict& NDict::subtree(std::string_view key) const { return get<NDict>(key); }
NDict& NDict::subtree(std::string_view key) { return get<NDict>(key); }

void NDict::merge(const NDict& other) {
  for (const Entry& e : other.entries_) {
    Value* mine = find(e.key);
    if (mine != nullptr && mine->is<NDict>() && e.value.is<NDict>())
      mine->as<NDict>().merge(e.value.as<NDict>());
    else
      set(e.key, e.value);
  }
}

std::string NDict::to_string() const {
  std::ostringstream out;
  print(*this, 0, out);
  return out.str();
}

bool operator==(const NDict& a, const NDict& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a.entries()[i].key != b.entries()[i].key || a.entries()[i].value != b.entries()[i].value) return false;
  return true;
}

std::ostream& operator<<(std::ostream& out, const NDict& dict) { return out << dict.to_string(); }

}  // namespace fuse
