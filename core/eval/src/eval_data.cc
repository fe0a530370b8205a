#include "fuse/eval/eval_data.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "fuse/table/table.h"

namespace fuse::eval {

namespace fs = std::filesystem;

std::string EvalData::describe(size_t row) const {
  std::string s = "row " + std::to_string(row_of[row]) + " of " + files[file_of.empty() ? 0 : file_of[row]];
  if (!ids.empty()) s += " (id " + ids[row] + ")";
  return s;
}

void EvalData::select(const std::vector<uint32_t>& keep) {
  auto pick = [&](auto& v) {
    std::remove_reference_t<decltype(v)> out;
    out.reserve(keep.size());
    for (uint32_t r : keep) out.push_back(v[r]);
    v = std::move(out);
  };
  for (auto& [key, column] : numbers) pick(column);
  for (auto& [key, c] : categories) pick(c.codes);
  if (!ids.empty()) pick(ids);
  if (!file_of.empty()) pick(file_of);
  pick(row_of);
  rows = keep.size();
}

namespace {

bool merged(const EvalConfig& c) { return c.predictions.size() > 1 && !c.folds_from_files; }

// Where a key comes from: which file and which column.
struct Source {
  size_t file;
  std::string column;
};

struct Files {
  std::vector<std::unique_ptr<table::Reader>> readers;
  explicit Files(const EvalConfig& c) {
    if (c.predictions.empty()) throw Error(Errc::kConfig, "no prediction file: give --predictions FILE");
    for (const PredictionFile& f : c.predictions) readers.push_back(table::Reader::open(f.path));
  }
};

bool has_column(const table::Reader& r, const std::string& column) {
  const auto& cols = r.columns();
  return std::find(cols.begin(), cols.end(), column) != cols.end();
}

// The files and columns a key may come from (merged files: "<name>.<column>", or a plain column of any file).
std::vector<Source> sources(const EvalConfig& c, const Files& files, const std::string& key) {
  std::vector<Source> out;
  for (size_t f = 0; f < files.readers.size(); ++f) {
    const std::string prefix = c.predictions[f].name + ".";
    if (merged(c) && key.rfind(prefix, 0) == 0 && has_column(*files.readers[f], key.substr(prefix.size())))
      out.push_back(Source{f, key.substr(prefix.size())});
    else if (has_column(*files.readers[f], key))
      out.push_back(Source{f, key});
  }
  return out;
}

[[noreturn]] void missing(const EvalConfig& c, const Files& files, const std::string& key) {
  std::vector<std::string> all;
  for (size_t f = 0; f < files.readers.size(); ++f)
    for (const std::string& col : files.readers[f]->columns()) all.push_back(merged(c) ? c.predictions[f].name + "." + col : col);
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  std::vector<std::string> names;
  for (const PredictionFile& f : c.predictions) names.push_back(f.path.string());
  throw Error(Errc::kKeyNotFound, "no column '" + key + "' in " + join(names, ", ") + did_you_mean(key, all) +
                                      " (columns: " + join(all, ", ") + ")");
}

}  // namespace

std::vector<std::string> expand_columns(const EvalConfig& config, const std::vector<std::string>& patterns) {
  Files files(config);
  std::vector<std::string> out;
  for (const std::string& p : patterns) {
    if (p.find_first_of("*?") == std::string::npos) {
      out.push_back(p);
      continue;
    }
    std::vector<std::string> found;
    for (size_t f = 0; f < files.readers.size(); ++f) {
      const std::string prefix = merged(config) ? config.predictions[f].name + "." : "";
      for (const std::string& col : files.readers[f]->columns())
        if (!table::match_columns({prefix + col}, p).empty()) found.push_back(prefix + col);
      if (!merged(config)) break;  // folds share one layout
    }
    if (found.empty()) throw Error(Errc::kKeyNotFound, "no column matches '" + p + "' in " + config.predictions[0].path.string());
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

std::map<std::string, std::vector<std::string>> numbered_columns(const EvalConfig& config, const std::vector<std::string>& keys) {
  Files files(config);  // the headers, read once for every key
  std::map<std::string, std::vector<std::string>> out;
  for (const std::string& key : keys) {
    if (!sources(config, files, key).empty()) continue;
    std::vector<std::string> parts;
    while (!sources(config, files, key + "_" + std::to_string(parts.size())).empty()) parts.push_back(key + "_" + std::to_string(parts.size()));
    if (!parts.empty()) out[key] = std::move(parts);
  }
  return out;
}

EvalData load_predictions(const EvalConfig& config, const Wanted& wanted) {
  Files files(config);
  const size_t nf = files.readers.size();
  // Which columns of which file each key needs.
  std::vector<std::vector<table::Request>> requests(nf);
  std::vector<std::pair<std::string, std::vector<Source>>> numeric, categorical;
  auto plan = [&](const std::string& key, table::Kind kind, auto& into) {
    std::vector<Source> s = sources(config, files, key);
    if (s.empty()) missing(config, files, key);
    if (merged(config) && s.size() > 1 && key != config.target_column) {
      std::vector<std::string> choices;
      for (const Source& src : s) choices.push_back(config.predictions[src.file].name + "." + src.column);
      throw Error(Errc::kConfig, "column '" + key + "' is in several prediction files; name one of " + quoted_list(choices));
    }
    if (!merged(config)) {  // one file, or folds that share the layout: every file must have it
      for (size_t f = 0; f < nf; ++f)
        if (!has_column(*files.readers[f], key))
          throw Error(Errc::kKeyNotFound, files.readers[f]->path().string() + ": no column '" + key + "'" +
                                              did_you_mean(key, files.readers[f]->columns()) + " (columns: " +
                                              join(files.readers[f]->columns(), ", ") + ")");
      s.clear();
      for (size_t f = 0; f < nf; ++f) s.push_back(Source{f, key});
    }
    for (const Source& src : s) {
      auto& reqs = requests[src.file];
      if (std::none_of(reqs.begin(), reqs.end(), [&](const table::Request& r) { return r.name == src.column; }))
        reqs.push_back(table::Request{src.column, kind});
    }
    into.emplace_back(key, s);
  };
  for (const std::string& k : wanted.numbers) plan(k, table::Kind::kNumber, numeric);
  for (const std::string& k : wanted.categories) plan(k, table::Kind::kText, categorical);
  const bool with_ids = !config.id_column.empty();
  if (merged(config) && !with_ids)
    throw Error(Errc::kConfig, "several prediction files are merged by sample id: give the id column (--id-col)");
  if (with_ids)
    for (size_t f = 0; f < nf; ++f) {
      if (!has_column(*files.readers[f], config.id_column))
        throw Error(Errc::kKeyNotFound, files.readers[f]->path().string() + ": no id column '" + config.id_column + "'" +
                                            did_you_mean(config.id_column, files.readers[f]->columns()));
      requests[f].push_back(table::Request{config.id_column, table::Kind::kText});
    }

  std::vector<table::Table> tables;
  for (size_t f = 0; f < nf; ++f) tables.push_back(table::read_table(files.readers[f]->path(), requests[f]));

  EvalData d;
  for (const PredictionFile& f : config.predictions) d.files.push_back(f.path.string());
  if (nf == 1) {
    // One file: take its columns as they are, without a copy (the evaluation's memory is mostly these).
    table::Table& t = tables[0];
    d.rows = t.size();
    if (t.size() > UINT32_MAX) throw Error(Errc::kUnsupported, t.source + ": more than 2^32 rows; evaluate it with --stream");
    d.row_of.assign(t.rows.begin(), t.rows.end());
    std::vector<int64_t>().swap(t.rows);
    if (with_ids) {
      const table::TextColumn& ids = t.column(config.id_column).text;
      d.ids.reserve(d.rows);
      for (size_t r = 0; r < d.rows; ++r) d.ids.emplace_back(ids.at(r));
    }
    for (auto& [key, srcs] : numeric)
      for (table::Column& col : t.columns)
        if (col.name == srcs[0].column && col.kind == table::Kind::kNumber) d.numbers[key] = std::move(col.numbers);
    for (auto& [key, srcs] : categorical) {
      Categorical& cat = d.categories[key];
      std::unordered_map<std::string, uint32_t> code;
      const table::Column& col = t.column(srcs[0].column);
      cat.codes.resize(d.rows);
      for (size_t r = 0; r < d.rows; ++r) {
        auto [it, inserted] = code.emplace(col.text_at(r), static_cast<uint32_t>(cat.levels.size()));
        if (inserted) cat.levels.push_back(it->first);
        cat.codes[r] = it->second;
      }
    }
    return d;
  }
  // Row alignment: per file, the table row of each evaluation row.
  std::vector<std::vector<uint32_t>> row_in(nf);
  if (merged(config)) {
    const table::Table& first = tables[0];
    const table::TextColumn& first_ids = first.column(config.id_column).text;
    std::unordered_map<std::string_view, uint32_t> index;
    for (uint32_t r = 0; r < first.size(); ++r)
      if (!index.emplace(first_ids.at(r), r).second)
        throw Error(Errc::kInvalidArgument, "sample id '" + std::string(first_ids.at(r)) + "' appears twice in " + first.source);
    d.rows = first.size();
    for (size_t f = 0; f < nf; ++f) {
      const table::TextColumn& ids = tables[f].column(config.id_column).text;
      std::vector<uint32_t> where(d.rows, UINT32_MAX);
      std::vector<std::string> unknown;
      size_t unknown_count = 0;
      for (uint32_t r = 0; r < tables[f].size(); ++r) {
        auto it = index.find(ids.at(r));
        if (it == index.end()) {
          if (unknown.size() < 5) unknown.emplace_back(ids.at(r));
          ++unknown_count;
        } else if (where[it->second] != UINT32_MAX) {
          throw Error(Errc::kInvalidArgument, "sample id '" + std::string(ids.at(r)) + "' appears twice in " + tables[f].source);
        } else {
          where[it->second] = r;
        }
      }
      std::vector<std::string> absent;
      size_t absent_count = 0;
      for (uint32_t r = 0; r < d.rows; ++r)
        if (where[r] == UINT32_MAX) {
          if (absent.size() < 5) absent.emplace_back(first_ids.at(r));
          ++absent_count;
        }
      if (unknown_count || absent_count) {
        std::string msg = "sample ids do not match between " + first.source + " and " + tables[f].source + ":";
        if (unknown_count) msg += " " + std::to_string(unknown_count) + " id(s) only in the second (e.g. " + join(unknown, ", ") + ")";
        if (unknown_count && absent_count) msg += ";";
        if (absent_count) msg += " " + std::to_string(absent_count) + " id(s) only in the first (e.g. " + join(absent, ", ") + ")";
        throw Error(Errc::kInvalidArgument, msg);
      }
      row_in[f] = std::move(where);
    }
    for (uint32_t r = 0; r < d.rows; ++r) {
      d.file_of.push_back(0);
      d.row_of.push_back(static_cast<uint32_t>(first.rows[r]));
      d.ids.emplace_back(first_ids.at(r));
    }
  } else {
    for (size_t f = 0; f < nf; ++f)
      for (uint32_t r = 0; r < tables[f].size(); ++r) {
        d.file_of.push_back(static_cast<uint32_t>(f));
        d.row_of.push_back(static_cast<uint32_t>(tables[f].rows[r]));
        if (with_ids) d.ids.emplace_back(tables[f].column(config.id_column).text.at(r));
      }
    d.rows = d.file_of.size();
  }

  // The value of a source column for evaluation row r.
  auto for_each_row = [&](const std::vector<Source>& srcs, auto&& take) {
    if (merged(config)) {
      for (size_t r = 0; r < d.rows; ++r) take(r, srcs[0].file, row_in[srcs[0].file][r], srcs[0].column);
    } else {
      size_t r = 0;
      for (size_t f = 0; f < nf; ++f)
        for (uint32_t t = 0; t < tables[f].size(); ++t, ++r) take(r, f, t, srcs[f].column);
    }
  };
  for (auto& [key, srcs] : numeric) {
    std::vector<double>& col = d.numbers[key];
    col.resize(d.rows);
    for_each_row(srcs, [&](size_t r, size_t f, uint32_t t, const std::string& c) { col[r] = tables[f].column(c).numbers[t]; });
    // A plain column found in several merged files (the target): the files must agree.
    if (merged(config))
      for (size_t s = 1; s < srcs.size(); ++s)
        for (size_t r = 0; r < d.rows; ++r) {
          const double other = tables[srcs[s].file].column(srcs[s].column).numbers[row_in[srcs[s].file][r]];
          if (!(other == col[r] || (std::isnan(other) && std::isnan(col[r]))))
            throw Error(Errc::kInvalidArgument, "column '" + key + "' differs between " + tables[srcs[0].file].source +
                                                    " and " + tables[srcs[s].file].source + " for sample id '" + d.ids[r] + "'");
        }
  }
  for (auto& [key, srcs] : categorical) {
    Categorical& cat = d.categories[key];
    std::unordered_map<std::string, uint32_t> code;
    cat.codes.resize(d.rows);
    for_each_row(srcs, [&](size_t r, size_t f, uint32_t t, const std::string& c) {
      const std::string value = tables[f].column(c).text_at(t);
      auto [it, inserted] = code.emplace(value, static_cast<uint32_t>(cat.levels.size()));
      if (inserted) cat.levels.push_back(value);
      cat.codes[r] = it->second;
    });
  }
  if (config.folds_from_files) {
    Categorical& fold = d.categories["fold"];
    for (const PredictionFile& f : config.predictions) fold.levels.push_back(f.name);
    fold.codes = d.file_of;
  }
  return d;
}

void clean(EvalData& data, const EvalConfig& config, const std::vector<std::string>& checked,
           const std::vector<std::string>& scores) {
  std::vector<uint32_t> keep;
  std::vector<std::string> bad;
  size_t bad_count = 0, without_target = 0;
  const auto is_score = [&](const std::string& key) { return std::find(scores.begin(), scores.end(), key) != scores.end(); };
  for (uint32_t r = 0; r < data.rows; ++r) {
    std::string why;
    bool no_target = false;
    for (const std::string& key : checked)
      if (!std::isfinite(data.numbers.at(key)[r])) {
        if (config.skip_rows_without_target && !is_score(key)) {
          no_target = true;
          break;
        }
        if (why.empty()) why = key;
      }
    if (no_target) {
      ++without_target;
    } else if (why.empty()) {
      keep.push_back(r);
    } else {
      ++bad_count;
      if (bad.size() < 5) bad.push_back(data.describe(r) + " ('" + why + "' is " + std::to_string(data.numbers.at(why)[r]) + ")");
    }
  }
  if (bad_count > 0) {
    if (config.nan_policy == "error")
      throw Error(Errc::kNumeric, std::to_string(bad_count) + " row(s) have NaN, infinite or missing values: " +
                                      join(bad, "; ") + (bad_count > bad.size() ? "; ..." : "") +
                                      ". Fix them, or drop such rows (fuse eval --nan drop; \"nan\": \"drop\" in an evaluation section)");
    data.dropped = bad_count;
  }
  data.without_target = without_target;
  if (bad_count > 0 || without_target > 0) data.select(keep);
  if (data.rows == 0 && without_target > 0)
    throw Error(Errc::kNumeric, "no row has a target (" + std::to_string(without_target) + " without one)");
  if (config.temperature) {
    const double t = *config.temperature;
    if (scores.size() == 1) {
      // One probability per row: sigmoid(logit(p) / T).
      for (double& p : data.numbers.at(scores[0])) {
        const double q = std::clamp(p, 1e-15, 1 - 1e-15);
        p = 1 / (1 + std::exp(-std::log(q / (1 - q)) / t));
      }
    } else {
      // Class probabilities: softmax(log p / T).
      for (size_t r = 0; r < data.rows; ++r) {
        double max = -INFINITY, sum = 0;
        std::vector<double> z(scores.size());
        for (size_t k = 0; k < scores.size(); ++k) max = std::max(max, z[k] = std::log(std::max(data.numbers.at(scores[k])[r], 1e-15)) / t);
        for (double& v : z) sum += v = std::exp(v - max);
        for (size_t k = 0; k < scores.size(); ++k) data.numbers.at(scores[k])[r] = z[k] / sum;
      }
    }
  }
}

}  // namespace fuse::eval
