#include "onto_grid.h"

#include "fuse/base/error.h"
#include "torch_view.h"

namespace fuse::train {

namespace bj = boost::json;

OntoGrid::OntoGrid(const Registry& registry, std::vector<std::string> inputs) : registry_(registry), inputs_(std::move(inputs)) {}

std::string OntoGrid::geometry_key(const NDict& from, const NDict& onto) const {
  for (const std::string& k : inputs_) {
    const Value* a = from.find(k + "_meta");
    const Value* b = onto.find(k + "_meta");
    if (a != nullptr && b != nullptr && a->is<NDict>() && b->is<NDict>()) return k;
  }
  return "";
}

torch::Tensor OntoGrid::operator()(const std::string& key, const torch::Tensor& output, const NDict& from, const NDict& onto) const {
  const std::string input = geometry_key(from, onto);
  if (input.empty()) {
    std::string names;
    for (const std::string& k : inputs_) names += (names.empty() ? "'" : ", '") + k + "_meta'";
    throw Error(Errc::kKeyNotFound, "the model's input carries no geometry (" + names + ", as fuse.io.read_medical writes it) to lay '" + key +
                                        "' onto another grid");
  }
  if (output.dim() < 2 || output.size(0) != 1)
    throw Error(Errc::kShape, "'" + key + "' of shape " + c10::str(output.sizes()) + " is not a batch of one volume");
  // The output under its own key with its input's geometry, the other grid as the input's.
  NDict scratch;
  scratch.set(key, Value(wrap(output.squeeze(0))));
  scratch.set(key + "_meta", *from.find(input + "_meta"));
  scratch.set(input + "_meta", *onto.find(input + "_meta"));
  const bool floating = output.is_floating_point();
  Op op = registry_.create_op("fuse.medical.resample_like", bj::object{{floating ? "keys" : "labels", bj::array{bj::value(key)}}, {"like", input}});
  op.forward(scratch);
  return view(scratch.get<Tensor>(key)).unsqueeze(0);
}

}  // namespace fuse::train
