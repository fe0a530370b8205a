// CSV and TSV through libcsv, a streaming parser (quotes, embedded delimiters and newlines, CRLF). Its callbacks
// are C: errors are recorded and thrown after csv_parse returns, never through it.
#include <csv.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "fuse/base/error.h"
#include "readers.h"

namespace fuse::table {
namespace {

int space_only(unsigned char c) { return c == ' ' ? 1 : 0; }

class CsvReader : public Reader {
 public:
  CsvReader(const std::filesystem::path& path, char delimiter) : Reader(path), in_(path, std::ios::binary) {
    if (!in_) throw Error(Errc::kIo, "cannot open '" + path.string() + "': " + std::strerror(errno));
    if (csv_init(&parser_, 0) != 0) throw Error(Errc::kOutOfMemory, "cannot start the CSV parser");
    csv_set_delim(&parser_, static_cast<unsigned char>(delimiter));
    csv_set_space_func(&parser_, &space_only);  // a tab is a delimiter in TSV, never space to trim
    read_header();
  }
  ~CsvReader() override { csv_free(&parser_); }

  bool read(Table& out) override {
    prepare(out);
    if (pending_.size() != requests_.size()) prepare_row_buffer();
    out_ = &out;
    const size_t before = out.size();
    std::vector<char> block(1 << 20);
    while (out.size() == before && !eof_) {
      in_.read(block.data(), static_cast<std::streamsize>(block.size()));
      const size_t n = static_cast<size_t>(in_.gcount());
      if (n == 0) {
        csv_fini(&parser_, &on_field, &on_row, this);
        eof_ = true;
      } else if (csv_parse(&parser_, block.data(), n, &on_field, &on_row, this) != n) {
        fail("malformed CSV: " + std::string(csv_strerror(csv_error(&parser_))));
      }
      if (!error_.empty()) throw Error(Errc::kInvalidArgument, error_);
    }
    out_ = nullptr;
    return out.size() > before;
  }

 private:
  // Feeds bytes one at a time until the header row is complete, so no data row is parsed before the caller has
  // chosen its columns.
  void read_header() {
    char c = 0;
    while (!header_done_ && in_.get(c)) csv_parse(&parser_, &c, 1, &on_field, &on_row, this);
    if (!header_done_) {
      csv_fini(&parser_, &on_field, &on_row, this);
      if (!header_done_) throw Error(Errc::kInvalidArgument, path_.string() + ": empty file (no header row)");
    }
  }

  [[noreturn]] void fail(const std::string& message) const {
    throw Error(Errc::kInvalidArgument, path_.string() + ": " + message);
  }

  // A row may be split between two blocks (two read() calls, possibly into two tables): its kept fields wait in
  // pending_ until the row ends, then go into the table being filled.
  static void on_field(void* data, size_t length, void* self_ptr) {
    auto* self = static_cast<CsvReader*>(self_ptr);
    const std::string_view field(static_cast<const char*>(data), data ? length : 0);
    if (!self->header_done_) {
      self->columns_.emplace_back(field);
    } else if (self->field_ < self->slot_.size() && self->slot_[self->field_] >= 0) {
      self->pending_[static_cast<size_t>(self->slot_[self->field_])].assign(field);
      self->filled_[static_cast<size_t>(self->slot_[self->field_])] = 1;
    }
    ++self->field_;
  }

  static void on_row(int, void* self_ptr) {
    auto* self = static_cast<CsvReader*>(self_ptr);
    if (!self->header_done_) {
      self->header_done_ = true;
    } else if (self->out_ != nullptr) {
      ++self->row_;
      if (self->field_ != self->columns_.size() && self->error_.empty())
        self->error_ = "row " + std::to_string(self->row_) + " of " + self->path_.string() + " has " +
                       std::to_string(self->field_) + " fields; the header has " + std::to_string(self->columns_.size());
      for (size_t c = 0; c < self->pending_.size(); ++c) {
        store_field(self->out_->columns[c], self->filled_[c] ? std::string_view(self->pending_[c]) : std::string_view(),
                    *self->out_, self->row_, self->error_);
        self->filled_[c] = 0;
      }
      self->out_->rows.push_back(self->row_);
    }
    self->field_ = 0;
  }

  void prepare_row_buffer() {
    pending_.resize(requests_.size());
    filled_.assign(requests_.size(), 0);
  }

  std::ifstream in_;
  csv_parser parser_{};
  Table* out_ = nullptr;
  size_t field_ = 0;
  int64_t row_ = 0;
  bool header_done_ = false;
  bool eof_ = false;
  std::string error_;
  std::vector<std::string> pending_;  // the kept fields of the row being parsed, by request
  std::vector<uint8_t> filled_;
};

}  // namespace

std::unique_ptr<Reader> open_csv(const std::filesystem::path& path, char delimiter) {
  return std::make_unique<CsvReader>(path, delimiter);
}

}  // namespace fuse::table
