// Label ops: one_hot, argmax (one-hot or scores back to a class index), regions_to_labels (region probabilities
// back to a label map), lookup (map values through a table),
// split_labels (a text cell listing labels to a 0/1 key per label) and replace_values (remap the values inside
// tensors, e.g. a mask's 255 to 1).
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>

#include "tensor_math.h"

namespace fuse::ops {
namespace {

// "a string", "an int": a value type with its article, for messages.
std::string a_type(fm_value_type t) {
  const std::string name = sdk::value_type_name(t);
  return (std::string("aeiou").find(name[0]) == std::string::npos ? "a " : "an ") + name;
}

// The values one_hot encodes, in channel order (sklearn's OneHotEncoder categories): strings, ints or bools,
// all of one kind.
class CategoryIndex {
 public:
  CategoryIndex() = default;
  explicit CategoryIndex(const DictView& config) {
    const size_t n = config.list_length("categories");
    if (n == 0) fail(FM_ERR_INVALID_ARGUMENT, "'categories' is empty: list the values to encode, in channel order");
    kind_ = config.type("categories.0");
    for (size_t i = 0; i < n; ++i) {
      const std::string item = "categories." + std::to_string(i);
      const fm_value_type t = config.type(item);
      if (t != kind_ || (t != FM_VALUE_STRING && t != FM_VALUE_INT && t != FM_VALUE_BOOL))
        fail(FM_ERR_INVALID_ARGUMENT, "'categories' must list strings, ints or bools, all of one kind; item " + std::to_string(i) + " is " + a_type(t) +
                                          (i ? " after " + a_type(kind_) : ""));
      const std::string name = t == FM_VALUE_STRING ? config.get_string(item) : t == FM_VALUE_INT ? std::to_string(config.get_int(item)) : config.get_bool(item) ? "true" : "false";
      if (!index_.emplace(name, static_cast<int64_t>(i)).second) fail(FM_ERR_INVALID_ARGUMENT, "'categories' holds " + shown(name) + " twice");
      names_.push_back(name);
    }
  }

  bool empty() const { return names_.empty(); }
  int64_t size() const { return static_cast<int64_t>(names_.size()); }
  bool of_ints() const { return kind_ == FM_VALUE_INT; }
  // The channel of a value of type `t` (its text in `name`), -1 when it is not a category.
  int64_t find(fm_value_type t, const std::string& name, const std::string& key) const {
    if (t != kind_)
      fail(FM_ERR_TYPE, "key '" + key + "': the value is " + a_type(t) + " (" + name + "), but the categories are " +
                            sdk::value_type_name(kind_) + "s");
    const auto it = index_.find(name);
    return it == index_.end() ? -1 : it->second;
  }
  std::string shown(const std::string& name) const { return kind_ == FM_VALUE_STRING ? "\"" + name + "\"" : name; }
  // "the categories ("east", "north", "south")", the first ten.
  std::string listed() const {
    std::string list;
    for (size_t i = 0; i < names_.size() && i < 10; ++i) list += (i ? ", " : "") + shown(names_[i]);
    return "the categories (" + list + (names_.size() > 10 ? ", ... " + std::to_string(names_.size()) + " in all" : "") + ")";
  }

 private:
  fm_value_type kind_ = FM_VALUE_MISSING;
  std::map<std::string, int64_t> index_;
  std::vector<std::string> names_;
};

class OneHot {
 public:
  explicit OneHot(const DictView& config)
      : key_(config.get_string("key")),
        out_(config.find_string("out").value_or(key_)),
        dtype_(dtype_from_config(config.get_string("dtype"))),
        first_(config.get_string("axis") == "first"),
        zeros_(config.get_string("unknown") == "zeros") {
    const bool by_count = !config.is_unset("num_classes"), by_value = !config.is_unset("categories");
    if (by_count == by_value)
      fail(FM_ERR_INVALID_ARGUMENT, by_count ? "'num_classes' and 'categories' are both set: give one (with categories, the classes are their count)"
                                             : "set 'num_classes' (labels 0..n-1) or 'categories' (the values, in channel order), or mark the step "
                                               "\"fit\": true to take the training samples' categories");
    if (by_value) categories_ = CategoryIndex(config);
    classes_ = by_value ? categories_.size() : config.get_int("num_classes");
  }

  void forward(Dict& sample, const sdk::Call&) {
    std::vector<int64_t> labels;  // the channel of each element; -1 for an unknown value (all zeros)
    std::vector<int64_t> shape;
    const fm_value_type type = sample.type(key_);
    if (type == FM_VALUE_NULL) {
      if (!zeros_)
        fail(FM_ERR_INVALID_ARGUMENT, "key '" + key_ + "' is empty (null) in this sample: set 'unknown': \"zeros\" to encode it as all zeros, or fill it first");
      labels.push_back(-1);
    } else if (type == FM_VALUE_STRING || type == FM_VALUE_BOOL || (type == FM_VALUE_INT && !categories_.empty())) {
      if (categories_.empty())
        fail(FM_ERR_TYPE, "key '" + key_ + "': " + a_type(type) + " needs 'categories' (the values, in channel order) or \"fit\": true");
      const std::string name = type == FM_VALUE_STRING ? sample.get_string(key_) : type == FM_VALUE_INT ? std::to_string(sample.get_int(key_))
                               : sample.get_bool(key_)  ? "true"
                                                        : "false";
      labels.push_back(category(type, name));
    } else if (type == FM_VALUE_INT) {
      labels.push_back(sample.get_int(key_));
    } else {
      TensorView t = sample.tensor(key_);
      if (sdk::is_floating(t.dtype()))
        fail(FM_ERR_TYPE, "key '" + key_ + "': labels must be integers, got a " + sdk::dtype_name(t.dtype()) +
                              " tensor (cast it first)");
      dispatch(t, [&](auto tag) {
        const auto* p = t.data<decltype(tag)>();
        labels.assign(p, p + t.numel());
      });
      if (!categories_.empty()) {
        std::map<int64_t, int64_t> seen;  // a label map holds few values: each is looked up once
        for (int64_t& l : labels) {
          auto it = seen.find(l);
          if (it == seen.end()) it = seen.emplace(l, category(FM_VALUE_INT, std::to_string(l))).first;
          l = it->second;
        }
      }
      shape = t.shape();
    }
    std::vector<int64_t> out_shape = shape;
    if (first_) out_shape.insert(out_shape.begin(), classes_);
    else out_shape.push_back(classes_);
    Tensor out = Tensor::empty(out_shape, dtype_);
    const int64_t n = static_cast<int64_t>(labels.size());
    if (!sdk::dispatch_dtype(dtype_, [&](auto tag) {
          using T = decltype(tag);
          T* o = out.data<T>();
          std::fill(o, o + n * classes_, T(0));
          for (int64_t i = 0; i < n; ++i) {
            const int64_t c = labels[static_cast<size_t>(i)];
            if (c == -1 && !categories_.empty()) continue;  // unknown, with 'unknown': "zeros"
            if (c < 0 || c >= classes_) {
              if (zeros_) continue;
              fail(FM_ERR_INVALID_ARGUMENT, "key '" + key_ + "': label " + std::to_string(c) + " is outside [0, " +
                                                std::to_string(classes_) + ")");
            }
            o[first_ ? c * n + i : i * classes_ + c] = T(1);
          }
        }))
      fail(FM_ERR_TYPE, "unsupported dtype " + sdk::dtype_name(dtype_));
    sample.set_tensor(out_, std::move(out));
  }

 private:
  // The channel of a value, -1 for one not among the categories (an error unless 'unknown' is "zeros").
  int64_t category(fm_value_type type, const std::string& name) const {
    const int64_t c = categories_.find(type, name, key_);
    if (c < 0 && !zeros_)
      fail(FM_ERR_INVALID_ARGUMENT, "key '" + key_ + "': " + categories_.shown(name) + " is not one of " + categories_.listed() +
                                        "; set 'unknown': \"zeros\" to encode such a value as all zeros");
    return c;
  }

  std::string key_, out_;
  int64_t classes_ = 0;
  DLDataType dtype_;
  bool first_, zeros_;
  CategoryIndex categories_;
};
FUSE_OP(OneHot, "fuse.ops.one_hot", "1.1.0")

class Argmax {
 public:
  explicit Argmax(const DictView& config)
      : key_(config.get_string("key")),
        out_(config.find_string("out").value_or(key_)),
        axis_(config.get_int("axis")),
        as_int_(config.get_bool("as_int")) {}

  void forward(Dict& sample, const sdk::Call&) {
    TensorView t = sample.tensor(key_);
    if (t.ndim() == 0) fail(FM_ERR_SHAPE, "key '" + key_ + "': argmax needs at least one dimension");
    const int32_t a = axis_index(axis_, t.ndim(), 0, key_);
    std::vector<int64_t> shape = t.shape();
    int64_t outer = 1, inner = 1;
    for (int32_t d = 0; d < a; ++d) outer *= shape[static_cast<size_t>(d)];
    for (int32_t d = a + 1; d < t.ndim(); ++d) inner *= shape[static_cast<size_t>(d)];
    const int64_t size = shape[static_cast<size_t>(a)];
    shape.erase(shape.begin() + a);
    Tensor out = Tensor::empty(shape, sdk::kInt64);
    int64_t* o = out.data<int64_t>();
    dispatch(t, [&](auto tag) {
      const auto* x = t.data<decltype(tag)>();
      for (int64_t i = 0; i < outer; ++i)
        for (int64_t j = 0; j < inner; ++j) {
          int64_t best = 0;  // first maximum wins, as in NumPy and PyTorch
          for (int64_t k = 1; k < size; ++k)
            if (x[(i * size + k) * inner + j] > x[(i * size + best) * inner + j]) best = k;
          o[i * inner + j] = best;
        }
    });
    if (as_int_ && shape.empty()) sample.set_int(out_, o[0]);
    else sample.set_tensor(out_, std::move(out));
  }

 private:
  std::string key_, out_;
  int64_t axis_;
  bool as_int_;
};
FUSE_OP(Argmax, "fuse.ops.argmax", "1.0.0")

// Region probabilities [.., R, ..] back to a label map, as nnU-Net's regions_class_order: starting from the
// background, each region in turn gives its label to the voxels where it is likely, so a later (inner) region
// overwrites an earlier (outer) one: BraTS's whole tumour, then tumour core, then enhancing tumour.
class RegionsToLabels {
 public:
  explicit RegionsToLabels(const DictView& config)
      : key_(config.get_string("key")),
        out_(config.find_string("out").value_or(key_)),
        axis_(config.get_int("axis")),
        labels_(config.get_ints("labels")),
        threshold_(config.get_double("threshold")) {
    for (size_t r = 0; r < labels_.size(); ++r)
      if (labels_[r] < 1)
        fail(FM_ERR_INVALID_ARGUMENT, "'labels' gives region " + std::to_string(r + 1) + " label " + std::to_string(labels_[r]) +
                                          "; a region's voxels get a label of 1 or more (0 is the background)");
  }

  void forward(Dict& sample, const sdk::Call&) {
    TensorView t = sample.tensor(key_);
    t.require_cpu_contiguous();
    if (t.ndim() == 0) fail(FM_ERR_SHAPE, "key '" + key_ + "': regions_to_labels needs a regions axis");
    const int32_t a = axis_index(axis_, t.ndim(), 0, key_);
    std::vector<int64_t> shape = t.shape();
    const Extents e = extents(shape, a);
    std::vector<int64_t> labels = labels_;
    if (labels.empty())
      for (int64_t r = 1; r <= e.size; ++r) labels.push_back(r);
    if (static_cast<int64_t>(labels.size()) != e.size)
      fail(FM_ERR_SHAPE, "key '" + key_ + "' has " + std::to_string(e.size) + " regions along axis " + std::to_string(axis_) + " (" +
                             sdk::shape_string(t.dl()) + ") but 'labels' gives " + std::to_string(labels.size()) + " (one label per region)");
    shape.erase(shape.begin() + a);
    Tensor out = Tensor::empty(shape, sdk::kInt64);
    int64_t* o = out.data<int64_t>();
    dispatch(t, [&](auto tag) {
      const auto* x = t.data<decltype(tag)>();
      for (int64_t i = 0; i < e.outer; ++i)
        for (int64_t j = 0; j < e.inner; ++j) {
          int64_t label = 0;
          for (int64_t r = 0; r < e.size; ++r)
            if (static_cast<double>(x[(i * e.size + r) * e.inner + j]) > threshold_) label = labels[static_cast<size_t>(r)];
          o[i * e.inner + j] = label;
        }
    });
    sample.set_tensor(out_, std::move(out));
  }

 private:
  std::string key_, out_;
  int64_t axis_;
  std::vector<int64_t> labels_;
  double threshold_;
};
FUSE_OP(RegionsToLabels, "fuse.ops.regions_to_labels", "1.0.0")

class Lookup {
 public:
  explicit Lookup(const DictView& config)
      : key_(config.get_string("key")), out_(config.find_string("out").value_or(key_)) {
    if (config.is_unset("table"))
      fail(FM_ERR_INVALID_ARGUMENT, "'table' is not set: give it (e.g. {\"benign\": 0, \"malignant\": 1}), or mark the step \"fit\": true to number "
                                    "the training samples' values 0, 1, ... in sorted order");
    table_.copy("table", config, "table");
    has_default_ = !config.is_unset("default");
    if (has_default_) table_.copy("default", config, "default");
  }

  void forward(Dict& sample, const sdk::Call&) {
    std::string value;
    switch (sample.type(key_)) {
      case FM_VALUE_STRING: value = sample.get_string(key_); break;
      case FM_VALUE_INT: value = std::to_string(sample.get_int(key_)); break;
      case FM_VALUE_BOOL: value = sample.get_bool(key_) ? "true" : "false"; break;
      case FM_VALUE_MISSING: sample.get_string(key_); break;  // the host's missing-key error
      case FM_VALUE_NULL:                                      // an empty table cell
        if (!has_default_) fail(FM_ERR_INVALID_ARGUMENT, "key '" + key_ + "' is empty (null) in this sample: set 'default' to map it");
        return sample.copy(out_, table_, "default");
      default: fail(FM_ERR_TYPE, "key '" + key_ + "': lookup needs a string, int or bool, got a " +
                                     sdk::value_type_name(sample.type(key_)));
    }
    const std::string entry = "table." + value;
    if (table_.has(entry)) {
      sample.copy(out_, table_, entry);
    } else if (has_default_) {
      sample.copy(out_, table_, "default");
    } else {
      std::vector<std::string> known = table_.keys("table");
      for (std::string& k : known) k = k.substr(6);
      std::string list;
      for (size_t i = 0; i < known.size(); ++i) list += (i ? ", " : "") + known[i];
      fail(FM_ERR_INVALID_ARGUMENT, "key '" + key_ + "': value '" + value + "' is not in the lookup table (it has: " +
                                        list + "); add it or set 'default'");
    }
  }

 private:
  std::string key_, out_;
  sdk::OwnedDict table_;
  bool has_default_ = false;
};
FUSE_OP(Lookup, "fuse.ops.lookup", "1.1.0")

// ChestX-ray14's "Finding Labels" ("Effusion|Infiltration"): a text cell listing a sample's labels, written as a
// 0/1 int per label ('labels'[i] to key 'out'[i]). A value in 'none' ("No Finding") lists no label.
class SplitLabels {
 public:
  explicit SplitLabels(const DictView& config)
      : key_(config.get_string("key")),
        separator_(config.get_string("separator")),
        labels_(config.get_strings("labels")),
        out_(config.get_strings("out")),
        none_(config.get_strings("none")),
        ignore_(config.get_string("unknown") == "ignore") {
    if (labels_.empty()) fail(FM_ERR_INVALID_ARGUMENT, "'labels' is empty: list the labels to find, e.g. [\"Effusion\", \"Edema\"]");
    if (labels_.size() != out_.size())
      fail(FM_ERR_INVALID_ARGUMENT, "'labels' and 'out' pair each label with its key, so they must be as long (" + std::to_string(labels_.size()) +
                                        " and " + std::to_string(out_.size()) + ")");
    if (separator_.empty()) fail(FM_ERR_INVALID_ARGUMENT, "'separator' is empty: give the text between two labels, e.g. \"|\"");
    for (size_t i = 0; i < labels_.size(); ++i)
      if (!index_.emplace(labels_[i], i).second) fail(FM_ERR_INVALID_ARGUMENT, "'labels' holds \"" + labels_[i] + "\" twice");
  }

  void forward(Dict& sample, const sdk::Call&) {
    switch (sample.type(key_)) {
      case FM_VALUE_STRING: break;
      case FM_VALUE_MISSING: sample.get_string(key_); break;  // the host's missing-key error
      case FM_VALUE_NULL:
        fail(FM_ERR_INVALID_ARGUMENT, "key '" + key_ + "' is empty (null) in this sample: a sample without labels needs a value listed in 'none' (e.g. \"No Finding\")");
      default: fail(FM_ERR_TYPE, "key '" + key_ + "': split_labels needs text, got " + a_type(sample.type(key_)));
    }
    const std::string text = sample.get_string(key_);
    std::vector<int64_t> present(labels_.size(), 0);
    for (size_t start = 0; start <= text.size();) {
      size_t end = text.find(separator_, start);
      if (end == std::string::npos) end = text.size();
      const std::string label = trimmed(text.substr(start, end - start));
      start = end + separator_.size();
      if (label.empty() || std::find(none_.begin(), none_.end(), label) != none_.end()) continue;
      const auto it = index_.find(label);
      if (it != index_.end()) {
        present[it->second] = 1;
      } else if (!ignore_) {
        std::string list;
        for (size_t i = 0; i < labels_.size() && i < 20; ++i) list += (i ? ", " : "") + labels_[i];
        fail(FM_ERR_INVALID_ARGUMENT, "key '" + key_ + "': label '" + label + "' (in '" + text + "') is not among 'labels' (" + list +
                                          (labels_.size() > 20 ? ", ..." : "") + "); add it, list it in 'none', or set 'unknown': \"ignore\"");
      }
    }
    for (size_t i = 0; i < labels_.size(); ++i) sample.set_int(out_[i], present[i]);
  }

 private:
  static std::string trimmed(const std::string& s) {
    const size_t first = s.find_first_not_of(" \t"), last = s.find_last_not_of(" \t");
    return first == std::string::npos ? "" : s.substr(first, last - first + 1);
  }
  std::string key_, separator_;
  std::vector<std::string> labels_, out_, none_;
  std::map<std::string, size_t> index_;
  bool ignore_;
};
FUSE_OP(SplitLabels, "fuse.ops.split_labels", "1.0.0")

// FuseMedML's OpReplaceElements: every element equal to from[i] becomes to[i], in place; the dtype is kept. A
// number (int or double) is one element.
class ReplaceValues {
 public:
  explicit ReplaceValues(const DictView& config) : keys_(config.get_strings("keys")) {
    const std::vector<double> from = config.get_doubles("from"), to = config.get_doubles("to");
    if (from.size() != to.size())
      fail(FM_ERR_INVALID_ARGUMENT, "'from' and 'to' pair values, so they must be as long (" + std::to_string(from.size()) + " and " +
                                        std::to_string(to.size()) + ")");
    for (size_t i = 0; i < from.size(); ++i)
      if (!table_.emplace(from[i], to[i]).second) fail(FM_ERR_INVALID_ARGUMENT, "'from' holds " + number(from[i]) + " twice");
  }

  void forward(Dict& sample, const sdk::Call&) {
    for (const std::string& key : keys_) {
      // A table's number (CheXpert's -1 for uncertain), as a tensor's element: its type kept.
      const fm_value_type type = sample.type(key);
      if (type == FM_VALUE_INT || type == FM_VALUE_DOUBLE) {
        const double x = type == FM_VALUE_INT ? static_cast<double>(sample.get_int(key)) : sample.get_double(key);
        const auto it = table_.find(x);
        if (it == table_.end()) continue;
        if (type == FM_VALUE_DOUBLE) {
          sample.set_double(key, it->second);
        } else {
          if (!fits<int64_t>(it->second)) fail(FM_ERR_TYPE, "key '" + key + "': " + number(it->second) + " cannot be stored in its int");
          sample.set_int(key, static_cast<int64_t>(it->second));
        }
        continue;
      }
      dispatch(sample.tensor(key), [&](auto tag) {
        using T = decltype(tag);
        // Each pair as the dtype holds it; a 'to' it cannot hold is an error, a 'from' it cannot hold matches nothing.
        std::vector<std::pair<T, T>> pairs;
        for (const auto& [from, to] : table_) {
          if (!fits<T>(to))
            fail(FM_ERR_TYPE, "key '" + key + "': " + number(to) + " cannot be stored in its dtype " + sdk::dtype_name(sdk::dtype_of<T>()));
          if (fits<T>(from)) pairs.emplace_back(static_cast<T>(from), static_cast<T>(to));
        }
        sdk::MutTensorView t = sample.tensor_mut(key);
        T* x = t.data<T>();
        for (int64_t i = 0, n = t.numel(); i < n; ++i)
          for (const auto& [from, to] : pairs)
            if (x[i] == from) {
              x[i] = to;
              break;
            }
      });
    }
  }

 private:
  template <class T>
  static bool fits(double v) {
    if constexpr (std::is_floating_point_v<T>) return true;
    return std::floor(v) == v && v >= static_cast<double>(std::numeric_limits<T>::lowest()) && v <= static_cast<double>(std::numeric_limits<T>::max());
  }
  std::vector<std::string> keys_;
  std::map<double, double> table_;
};
FUSE_OP(ReplaceValues, "fuse.ops.replace_values", "1.1.0")

}  // namespace
}  // namespace fuse::ops
