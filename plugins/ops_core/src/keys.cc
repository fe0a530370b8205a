// Ops on the dict's keys: copy, rename, delete, keep and set. Values move without copying tensor data.
#include "tensor_math.h"

namespace fuse::ops {
namespace {

// Reads the "from"/"to" pair of equally long key lists.
void read_pairs(const DictView& config, std::vector<std::string>& from, std::vector<std::string>& to) {
  from = config.get_strings("from");
  to = config.get_strings("to");
  if (from.size() != to.size())
    fail(FM_ERR_INVALID_ARGUMENT, "'from' has " + std::to_string(from.size()) + " keys but 'to' has " +
                                      std::to_string(to.size()) + "; they pair up one to one");
}

class Copy {
 public:
  explicit Copy(const DictView& config) { read_pairs(config, from_, to_); }
  void forward(Dict& sample, const sdk::Call&) {
    for (size_t i = 0; i < from_.size(); ++i) sample.copy(to_[i], from_[i]);
  }

 private:
  std::vector<std::string> from_, to_;
};
FUSE_OP(Copy, "fuse.ops.copy", "1.0.0")

class Rename {
 public:
  explicit Rename(const DictView& config) { read_pairs(config, from_, to_); }
  void forward(Dict& sample, const sdk::Call&) {
    for (size_t i = 0; i < from_.size(); ++i) sample.move(to_[i], from_[i]);
  }

 private:
  std::vector<std::string> from_, to_;
};
FUSE_OP(Rename, "fuse.ops.rename", "1.0.0")

class Delete {
 public:
  explicit Delete(const DictView& config) : keys_(config.get_strings("keys")), missing_ok_(config.get_bool("missing_ok")) {}
  void forward(Dict& sample, const sdk::Call&) {
    for (const std::string& key : keys_)
      if (!missing_ok_ || sample.has(key)) sample.remove(key);
  }

 private:
  std::vector<std::string> keys_;
  bool missing_ok_;
};
FUSE_OP(Delete, "fuse.ops.delete", "1.0.0")

// Keeps the listed keys (with everything below them) and removes the rest.
class Keep {
 public:
  explicit Keep(const DictView& config) : keys_(config.get_strings("keys")) {}
  void forward(Dict& sample, const sdk::Call&) {
    sdk::OwnedDict kept;
    for (const std::string& key : keys_) kept.copy(key, sample, key);  // a missing key is an error here
    for (const std::string& top : sample.keys()) sample.remove(top);
    for (const std::string& top : kept.keys()) sample.copy(top, kept, top);
  }

 private:
  std::vector<std::string> keys_;
};
FUSE_OP(Keep, "fuse.ops.keep", "1.0.0")

class Set {
 public:
  explicit Set(const DictView& config) : key_(config.get_string("key")), if_missing_(config.get_bool("if_missing")) {
    value_.copy("value", config, "value");
  }
  void forward(Dict& sample, const sdk::Call&) {
    if (!if_missing_ || !sample.has(key_)) sample.copy(key_, value_, "value");
  }

 private:
  std::string key_;
  bool if_missing_;
  sdk::OwnedDict value_;
};
FUSE_OP(Set, "fuse.ops.set", "1.0.0")

}  // namespace
}  // namespace fuse::ops
