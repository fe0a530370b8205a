// JSON files with located errors: a Document keeps its text so that any value, found by its JSON pointer,
// can be reported as file:line:column. Comments and trailing commas are accepted (configs are written by hand).
#ifndef FUSE_JSON_DOCUMENT_H_
#define FUSE_JSON_DOCUMENT_H_

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

namespace fuse::json {

struct Position {
  size_t line = 1;    // 1-based
  size_t column = 1;  // 1-based, in bytes
};

// The line and column of byte `offset` of `text`.
Position position_of(std::string_view text, size_t offset);

// The byte offset where the value at `pointer` (RFC 6901, "" for the root) starts, or nullopt when the text
// has no such value (or is not valid JSON up to it).
std::optional<size_t> locate(std::string_view text, std::string_view pointer);

// A pointer token with '~' and '/' escaped, and the pointer of a child.
std::string escape_token(std::string_view token);
std::string child_pointer(std::string_view parent, std::string_view key);
std::string child_pointer(std::string_view parent, size_t index);

// Whether load() follows a root "extends" member (experiment files) or keeps it as a value like any other.
enum class Extends { kKeep, kFollow };

class Document {
 public:
  // Parses `text`; invalid JSON throws Error(kConfig) "<source>:<line>:<column>: <what is wrong>".
  static Document parse(std::string text, std::string source);
  // Reads and parses a file; a missing or unreadable file throws Error(kIo) naming it. With Extends::kFollow, a
  // root object's "extends": "base.json" (relative to the file) makes the document the base file's (itself
  // possibly extending another) with this file's members laid over it as a JSON Merge Patch (RFC 7396): objects
  // merge member by member, null removes the base's member, any other value (a list too) replaces it. Every value keeps the location and folder of the file it
  // came from. A base that cannot be read, or a chain that comes back to a file, is an error at the member.
  static Document load(const std::filesystem::path& file, Extends extends = Extends::kKeep);

  // The value at `pointer` (which must exist) as a document of its own whose locations stay in this file's text:
  // an experiment kept inside a bundle.json is reported at its lines there.
  Document part(std::string_view pointer) const;

  const boost::json::value& root() const { return root_; }
  const std::string& source() const { return source_; }
  const std::string& text() const { return text_; }

  // "<source>:<line>:<column>" of the value at `pointer`, or "<source>" when it is not in the text; for a value
  // at or under one replaced by set(), that call's origin; for one holding values set (not the root), the
  // location followed by " (with <origin>, ...)".
  std::string location(std::string_view pointer) const;
  // The folder of the file the value at `pointer` was written in (a base file's for a value inherited through
  // "extends"), against which relative paths in it are taken.
  std::filesystem::path folder_of(std::string_view pointer) const;
  // Whether the value at `pointer` came from a base file through "extends" (false when absent).
  bool inherited(std::string_view pointer) const;

  // Replaces or adds the value at the dotted `path` ("trainer.epochs", "data.dynamic.0.p": object members,
  // added when missing, or indices of existing list elements), as a command line's --set does. `origin` (e.g.
  // "--set trainer.epochs") stands for the file in the locations of that value and the values under it. A path
  // through a value that is not an object or list, or past a list's end, is an Error (kInvalidArgument) naming
  // `origin`.
  void set(std::string_view path, boost::json::value value, const std::string& origin);

 private:
  // load() following "extends"; `chain` holds the files that led here (to name a cycle).
  static Document load_following(const std::filesystem::path& file, std::vector<std::filesystem::path>& chain);

  std::string text_;
  std::string source_;
  std::string prefix_;  // where root_ lies in text_ (a part's pointer; empty for a whole file)
  boost::json::value root_;
  std::vector<std::pair<std::string, std::string>> overrides_;  // (pointer, origin); none under another
  std::shared_ptr<const Document> base_;  // the file this one extends: where values not in text_ come from
};

// Reads a whole file (Error(kIo) naming the path when it cannot).
std::string read_file(const std::filesystem::path& file);

}  // namespace fuse::json

#endif  // FUSE_JSON_DOCUMENT_H_
