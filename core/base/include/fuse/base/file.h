// Files written whole or not at all: a reader, another process writing the same file, or a crash mid-write
// never leaves half a file under the final name.
#ifndef FUSE_BASE_FILE_H_
#define FUSE_BASE_FILE_H_

#include <filesystem>
#include <initializer_list>
#include <string_view>

namespace fuse {

// Writes `bytes` to a temporary file of its own beside `file` (unique per process and call, so concurrent
// writers never share one), flushes it to disk, then renames it over `file`. An Error (kIo) names `file` and
// the system's reason; the temporary file is removed.
void write_file_atomically(const std::filesystem::path& file, std::string_view bytes);
// The same with the file's bytes given in parts, written one after another (a header and a body need not be
// joined first).
void write_file_atomically(const std::filesystem::path& file, std::initializer_list<std::string_view> parts);

}  // namespace fuse

#endif  // FUSE_BASE_FILE_H_
