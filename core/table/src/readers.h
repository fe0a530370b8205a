// The concrete readers behind Reader::open (internal to the table concern).
#ifndef FUSE_TABLE_SRC_READERS_H_
#define FUSE_TABLE_SRC_READERS_H_

#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include "fuse/table/table.h"

namespace fuse::table {

std::unique_ptr<Reader> open_csv(const std::filesystem::path& path, char delimiter);
std::unique_ptr<Reader> open_jsonl(const std::filesystem::path& path);

// Appends `field` to `column` (parsed when numeric; an empty field is NaN). A value that is not a number leaves
// NaN and records the first such problem in `error` (the caller throws it, outside C callbacks).
void store_field(Column& column, std::string_view field, const Table& table, int64_t row, std::string& error);

}  // namespace fuse::table

#endif  // FUSE_TABLE_SRC_READERS_H_
