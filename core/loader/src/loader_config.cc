#include "fuse/loader/loader_config.h"

#include <algorithm>
#include <map>

#include "fuse/base/error.h"
#include "fuse/json/object_reader.h"
#include "fuse/json/write.h"

namespace fuse::loader {

namespace bj = boost::json;
using json::ObjectReader;

LoaderConfig read_loader_config(const json::Document& d, const std::string& pointer) {
  LoaderConfig c;
  boost::system::error_code ec;
  const bj::value* v = d.root().find_pointer(pointer, ec);
  if (v == nullptr) return c;
  ObjectReader r(d, *v, pointer, "the loader");
  r.allow({"batch_size", "workers", "prefetch", "shuffle", "drop_last", "repeats", "training", "sampler", "collate"});
  c.batch_size = static_cast<size_t>(r.integer("batch_size", 1, 1));
  c.options.workers = static_cast<size_t>(r.integer("workers", 2, 1));
  c.options.prefetch = static_cast<size_t>(r.integer("prefetch", 4, 1));
  c.shuffle = r.boolean("shuffle", true);
  c.drop_last = r.boolean("drop_last", false);
  c.repeats = static_cast<size_t>(r.integer("repeats", 1, 1));
  c.options.training = r.boolean("training", true);
  if (const bj::value* s = r.find("sampler")) {
    if (c.repeats != 1)
      r.fail("repeats", "'repeats' is for the plain sampler; a balanced or weighted sampler sets the epoch's length with 'batches_per_epoch' or "
                        "'samples_per_epoch' (its repeated picks get their own random draws too)");
    ObjectReader sampler(d, *s, r.pointer("sampler"), "the sampler");
    sampler.allow({"balance", "probabilities", "batches_per_epoch", "weights", "samples_per_epoch"});
    if (sampler.has("balance") && sampler.has("weights")) sampler.fail("", "a sampler either balances classes ('balance') or weighs samples ('weights'), not both");
    if (sampler.has("balance")) {
      c.sampler.kind = SamplerSpec::Kind::kBalanced;
      c.sampler.key = sampler.string("balance");
      c.sampler.batches_per_epoch = static_cast<size_t>(sampler.integer("batches_per_epoch", 0, 0));
      if (const bj::value* p = sampler.find("probabilities")) {
        if (!p->is_array()) sampler.fail("probabilities", "'probabilities' must be an array of numbers, one per class");
        for (const bj::value& x : p->as_array()) {
          if (!x.is_number() || x.to_number<double>() < 0)
            sampler.fail("probabilities", "'probabilities' must hold numbers >= 0, got " + json::to_text(x));
          c.sampler.probabilities.push_back(x.to_number<double>());
        }
      }
    } else if (sampler.has("weights")) {
      c.sampler.kind = SamplerSpec::Kind::kWeighted;
      c.sampler.key = sampler.string("weights");
      c.sampler.samples_per_epoch = static_cast<size_t>(sampler.integer("samples_per_epoch", 0, 0));
    } else {
      sampler.fail("", "the sampler needs 'balance' (a class key) or 'weights' (a weight key)");
    }
  }
  if (const bj::value* s = r.find("collate")) {
    ObjectReader collate(d, *s, r.pointer("collate"), "collate");
    collate.allow({"pad", "skip"});
    c.options.collate.pad = collate.boolean("pad", false);
    c.options.collate.skip = collate.strings("skip");
  }
  return c;
}

namespace {

// The value of `key` for every sample: from the source when it has it, else from the static output.
std::vector<Value> values_of(data::Dataset& dataset, const std::string& key) {
  std::vector<Value> out;
  std::optional<data::Dataset::Worker> worker;
  for (size_t i = 0; i < dataset.size(); ++i) {
    if (const Value* v = dataset.sample(i).values.find(key)) {
      out.push_back(*v);
      continue;
    }
    if (!worker) worker.emplace(dataset.worker());
    std::optional<NDict> s = worker->get_static(i);
    const Value* v = s ? s->find(key) : nullptr;
    if (v == nullptr)
      throw Error(Errc::kKeyNotFound, "sampler: sample '" + dataset.sample(i).id + "' has no '" + key + "' (in its source or after the static pipeline)");
    out.push_back(*v);
  }
  return out;
}

// A one-element integer tensor's value (labels after fuse.ops.to_tensor).
std::optional<int64_t> integer_item(const Value& v) {
  if (!v.is<Tensor>() || v.as<Tensor>().numel() != 1 || sdk::is_floating(v.as<Tensor>().dtype())) return std::nullopt;
  std::optional<int64_t> out;
  const Tensor t = v.as<Tensor>().is_contiguous() ? v.as<Tensor>() : v.as<Tensor>().clone();
  sdk::dispatch_dtype(t.dtype(), [&](auto tag) { out = static_cast<int64_t>(t.data<decltype(tag)>()[0]); });
  return out;
}

}  // namespace

std::unique_ptr<Sampler> make_sampler(const LoaderConfig& c, data::Dataset& dataset, uint64_t seed) {
  switch (c.sampler.kind) {
    case SamplerSpec::Kind::kSequential:
      return std::make_unique<SequentialSampler>(dataset.size(), c.batch_size, c.shuffle, c.drop_last, seed, c.repeats);
    case SamplerSpec::Kind::kBalanced: {
      std::vector<std::string> classes;
      for (const Value& v : values_of(dataset, c.sampler.key)) {
        if (v.is<std::string>()) classes.push_back(v.as<std::string>());
        else if (v.is<int64_t>()) classes.push_back(std::to_string(v.as<int64_t>()));
        else if (v.is<bool>()) classes.push_back(v.as<bool>() ? "true" : "false");
        else if (std::optional<int64_t> k = integer_item(v)) classes.push_back(std::to_string(*k));
        else throw Error(Errc::kType, "sampler: '" + c.sampler.key + "' must hold class labels (int, string or bool), found " + v.type_name());
      }
      // Classes in sorted order, so that 'probabilities' follow a documented order.
      std::vector<std::string> sorted = classes;
      std::sort(sorted.begin(), sorted.end());
      sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
      std::vector<double> probabilities;
      if (!c.sampler.probabilities.empty()) {
        if (c.sampler.probabilities.size() != sorted.size())
          throw Error(Errc::kConfig, "sampler: " + std::to_string(c.sampler.probabilities.size()) + " probabilities for " + std::to_string(sorted.size()) +
                                         " classes of '" + c.sampler.key + "'");
        // BalancedSampler numbers classes by first appearance; map the sorted order onto it.
        std::vector<std::string> first_seen;
        for (const std::string& k : classes)
          if (std::find(first_seen.begin(), first_seen.end(), k) == first_seen.end()) first_seen.push_back(k);
        for (const std::string& k : first_seen)
          probabilities.push_back(c.sampler.probabilities[static_cast<size_t>(std::lower_bound(sorted.begin(), sorted.end(), k) - sorted.begin())]);
      }
      return std::make_unique<BalancedSampler>(classes, c.batch_size, probabilities, c.sampler.batches_per_epoch, seed);
    }
    case SamplerSpec::Kind::kWeighted: {
      std::vector<double> weights;
      for (const Value& v : values_of(dataset, c.sampler.key)) {
        if (v.is<double>()) weights.push_back(v.as<double>());
        else if (v.is<int64_t>()) weights.push_back(static_cast<double>(v.as<int64_t>()));
        else throw Error(Errc::kType, "sampler: '" + c.sampler.key + "' must hold numbers (weights), found " + v.type_name());
      }
      return std::make_unique<WeightedSampler>(weights, c.sampler.samples_per_epoch ? c.sampler.samples_per_epoch : dataset.size(), c.batch_size,
                                               seed);
    }
  }
  return nullptr;
}

}  // namespace fuse::loader
