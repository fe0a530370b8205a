#include "fuse/data/folds.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <numeric>
#include <random>

#include <boost/json/object.hpp>

#include "fuse/base/error.h"
#include "fuse/base/file.h"
#include "fuse/data/seeds.h"
#include "fuse/json/document.h"
#include "fuse/json/write.h"

namespace fuse::data {

namespace bj = boost::json;

std::vector<int> split_folds(const std::vector<std::string>& strata, const std::vector<std::string>& groups, size_t k,
                             uint64_t seed) {
  const size_t n = std::max(strata.size(), groups.size());
  if (k < 2) throw Error(Errc::kInvalidArgument, "folds: k must be at least 2, got " + std::to_string(k));
  if (!strata.empty() && !groups.empty() && strata.size() != groups.size())
    throw Error(Errc::kInvalidArgument, "folds: " + std::to_string(strata.size()) + " class labels for " + std::to_string(groups.size()) + " group labels");
  // Classes and groups as codes; each group's class histogram.
  std::map<std::string, size_t> class_code, group_code;
  std::vector<size_t> cls(n, 0), grp(n);
  for (size_t i = 0; i < n; ++i) {
    if (!strata.empty()) cls[i] = class_code.emplace(strata[i], class_code.size()).first->second;
    grp[i] = groups.empty() ? i : group_code.emplace(groups[i], group_code.size()).first->second;
  }
  const size_t classes = std::max<size_t>(1, class_code.size()), group_count = groups.empty() ? n : group_code.size();
  if (group_count < k) throw Error(Errc::kInvalidArgument, "folds: " + std::to_string(group_count) + " groups cannot fill " + std::to_string(k) + " folds");
  std::vector<std::vector<double>> hist(group_count, std::vector<double>(classes, 0.0));
  std::vector<double> total(classes, 0.0);
  for (size_t i = 0; i < n; ++i) hist[grp[i]][cls[i]] += 1, total[cls[i]] += 1;
  // Groups in a seeded random order, then largest first (ties keep the random order).
  std::vector<size_t> order(group_count);
  std::iota(order.begin(), order.end(), size_t{0});
  std::mt19937_64 g(call_seed(seed, -1, -1, 0));
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[g() % i]);
  auto size_of = [&](size_t grp_index) { return std::accumulate(hist[grp_index].begin(), hist[grp_index].end(), 0.0); };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return size_of(a) > size_of(b); });
  std::vector<std::vector<double>> fold_hist(k, std::vector<double>(classes, 0.0));
  std::vector<double> fold_size(k, 0.0);
  std::vector<int> fold_of_group(group_count, 0);
  for (size_t grp_index : order) {
    size_t best = 0;
    double best_cost = std::numeric_limits<double>::infinity();
    for (size_t f = 0; f < k; ++f) {
      // How far the fold's fullest class would run ahead of an even share, then the fold's size.
      double cost = 0;
      for (size_t c = 0; c < classes; ++c) cost = std::max(cost, (fold_hist[f][c] + hist[grp_index][c]) / total[c]);
      cost += 1e-9 * fold_size[f];
      if (cost < best_cost) best_cost = cost, best = f;
    }
    fold_of_group[grp_index] = static_cast<int>(best);
    for (size_t c = 0; c < classes; ++c) fold_hist[best][c] += hist[grp_index][c];
    fold_size[best] += size_of(grp_index);
  }
  // The placement can leave a fold without a class that has a group for every fold (6 of each of two classes in 5
  // folds: one fold got two of one class and none of the other, so its AUC is undefined). Such a fold takes a group
  // holding the class from the fold richest in it, and gives back the group of the nearest size it can spare when
  // that evens the sizes. No move leaves a fold without a class it held. Ungrouped, every group is one sample, so
  // sizes stay.
  std::vector<size_t> groups_with(classes, 0);
  for (size_t grp_index = 0; grp_index < group_count; ++grp_index)
    for (size_t c = 0; c < classes; ++c) groups_with[c] += hist[grp_index][c] > 0;
  const auto can_leave = [&](size_t grp_index, size_t fold) {  // the fold keeps every class the group holds
    for (size_t c = 0; c < classes; ++c)
      if (hist[grp_index][c] > 0 && fold_hist[fold][c] - hist[grp_index][c] <= 0) return false;
    return true;
  };
  const auto move = [&](size_t grp_index, size_t to) {
    const size_t from = static_cast<size_t>(fold_of_group[grp_index]);
    for (size_t c = 0; c < classes; ++c) fold_hist[from][c] -= hist[grp_index][c], fold_hist[to][c] += hist[grp_index][c];
    fold_of_group[grp_index] = static_cast<int>(to);
  };
  if (!strata.empty())
    for (size_t c = 0; c < classes; ++c) {
      if (groups_with[c] < k) continue;
      for (size_t f = 0; f < k; ++f) {
        if (fold_hist[f][c] > 0) continue;
        // The last placed group of the class that its fold can spare, from the fold richest in the class.
        std::optional<size_t> taken;
        for (auto it = order.rbegin(); it != order.rend(); ++it) {
          const size_t from = static_cast<size_t>(fold_of_group[*it]);
          if (hist[*it][c] == 0 || !can_leave(*it, from)) continue;
          if (!taken || fold_hist[from][c] > fold_hist[static_cast<size_t>(fold_of_group[*taken])][c]) taken = *it;
        }
        if (!taken) continue;  // every group of the class is the last of another class in its fold
        const size_t donor = static_cast<size_t>(fold_of_group[*taken]);
        std::optional<size_t> given;  // of the nearest size to the taken group's, the last placed on ties
        for (auto it = order.rbegin(); it != order.rend(); ++it)
          if (static_cast<size_t>(fold_of_group[*it]) == f && can_leave(*it, f) &&
              (!given || std::abs(size_of(*it) - size_of(*taken)) < std::abs(size_of(*given) - size_of(*taken))))
            given = *it;
        move(*taken, f);
        if (given && std::abs(size_of(*given) - size_of(*taken)) < size_of(*taken)) move(*given, donor);  // when it evens sizes
      }
    }
  std::vector<int> folds(n);
  for (size_t i = 0; i < n; ++i) folds[i] = fold_of_group[grp[i]];
  return folds;
}

std::vector<std::string> rarest_label_strata(const std::vector<std::vector<std::string>>& labels) {
  std::map<std::string, size_t> count;
  for (const std::vector<std::string>& sample : labels)
    for (const std::string& l : sample) ++count[l];
  std::vector<std::string> strata;
  strata.reserve(labels.size());
  for (const std::vector<std::string>& sample : labels) {
    const std::string* rarest = nullptr;
    for (const std::string& l : sample)
      if (rarest == nullptr || count[l] < count[*rarest] || (count[l] == count[*rarest] && l < *rarest)) rarest = &l;
    strata.push_back(rarest ? *rarest : "");
  }
  return strata;
}

void save_folds(const std::filesystem::path& file, const std::vector<std::string>& ids, const std::vector<int>& folds,
                size_t k, uint64_t seed) {
  bj::object by_id;
  for (size_t i = 0; i < ids.size(); ++i) by_id[ids[i]] = folds[i];
  // Atomically: the ranks of a distributed run may each create the file (with the same folds).
  write_file_atomically(file, json::to_text(bj::object{{"k", k}, {"seed", seed}, {"folds", std::move(by_id)}}, {2}) + "\n");
}

std::vector<int> load_folds(const std::filesystem::path& file, const std::vector<std::string>& ids) {
  const json::Document d = json::Document::load(file);
  const bj::value* member = d.root().is_object() ? d.root().as_object().if_contains("folds") : nullptr;
  const bj::object* folds = member ? member->if_object() : nullptr;
  if (folds == nullptr) throw Error(Errc::kConfig, file.string() + ": not a folds file (no \"folds\" object)");
  std::vector<int> out;
  for (const std::string& id : ids) {
    const bj::value* f = folds->if_contains(id);
    if (f == nullptr || !f->is_int64())
      throw Error(Errc::kKeyNotFound, file.string() + ": sample '" + id + "' has no fold; the file was saved for other samples (" +
                                          std::to_string(folds->size()) + " ids): split again or fix the sample list");
    out.push_back(static_cast<int>(f->as_int64()));
  }
  return out;
}

}  // namespace fuse::data
