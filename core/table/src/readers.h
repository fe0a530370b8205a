// The concrete readers behind Reader::open (internal to the table concern).
#ifndef FUSE_TABLE_SRC_READERS_H_
#define FUSE_TABLE_SRC_READERS_H_

#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "fuse/table/table.h"

namespace fuse::table {

std::unique_ptr<Reader> open_csv(const std::filesystem::path& path, char delimiter);
std::unique_ptr<Reader> open_jsonl(const std::filesystem::path& path);

// A field as a number (" 3 ", "+1.5", "nan"), or nullopt when it is empty or text. Shared with describe().
std::optional<double> parse_number(std::string_view field);

// Appends `field` to `column` (parsed when numeric; an empty field is NaN). A value that is not a number leaves
// NaN and records the first such problem in `error` (the caller throws it, outside C callbacks).
void store_field(Column& column, std::string_view field, const Table& table, int64_t row, std::string& error);

}  // namespace fuse::table

#endif  // FUSE_TABLE_SRC_READERS_H_
