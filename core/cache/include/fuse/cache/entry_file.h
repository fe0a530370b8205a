// One cached sample on disk: an NDict in a file laid out for memory mapping. Tensors are 64-byte-aligned
// blocks read back as views of the mapping (no copy; the page cache is shared by every thread and process);
// a checksum over the whole file catches an entry that was cut short or corrupted.
//
// Layout: a 64-byte header ("FMC1", format version, sizes, xxHash3-64 of everything after the header), the
// tensor payload, then a JSON index of the tree (scalars inline, tensors as dtype, shape and offset).
#ifndef FUSE_CACHE_ENTRY_FILE_H_
#define FUSE_CACHE_ENTRY_FILE_H_

#include <filesystem>
#include <optional>
#include <string>

#include "fuse/ndict/ndict.h"

namespace fuse::cache {

// Writes `sample` to `path` atomically: to a temporary file in the same folder, flushed, then renamed, so a
// reader never sees a partial entry under the final name. Returns the bytes written.
size_t write_entry(const std::filesystem::path& path, const NDict& sample);

// Reads an entry. Tensors are read-only views of the mapped file (writing one copies it first).
// Error(kIo) for a missing or unreadable file; Error(kNumeric) "corrupt" for a bad header, a size that does
// not match or a checksum mismatch (the caller rebuilds it).
NDict read_entry(const std::filesystem::path& path);

// Checks an entry without building the NDict; returns "" or what is wrong.
std::string check_entry(const std::filesystem::path& path);

}  // namespace fuse::cache

#endif  // FUSE_CACHE_ENTRY_FILE_H_
