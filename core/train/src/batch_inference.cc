#include "fuse/train/batch_inference.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <type_traits>

#include "fuse/base/error.h"
#include "fuse/base/file.h"
#include "fuse/base/strings.h"
#include "fuse/eval/evaluator.h"
#include "fuse/json/write.h"
#include "fuse/report/html.h"
#include "fuse/train/inference_inputs.h"
#include "fuse/train/reference_evaluation.h"
#include "fuse_sdk/dtype.hpp"

namespace fuse::train {

namespace fs = std::filesystem;

namespace {

constexpr int64_t kMostValuesInARow = 64;  // outputs larger than this (masks, feature maps) are not columns

// A number's exact text: an integer whole, a float or double in the shortest form that reads back the same.
template <class T>
std::string exact_text(T x) {
  if constexpr (std::is_integral_v<T>) {
    return std::to_string(x);
  } else if constexpr (std::is_same_v<T, double>) {
    return json::format_number(x);
  } else {
    char text[32];
    const auto [end, ec] = std::to_chars(text, text + sizeof text, x);
    return std::string(text, end);
  }
}

// ".nii.gz", ".nrrd"; ".nii.gz" for a path without one (a DICOM series' folder).
std::string extensions_of(const Value* path) {
  if (path == nullptr || !path->is<std::string>()) return ".nii.gz";
  const std::string name = fs::path(path->as<std::string>()).filename().string();
  const std::string ext = name.substr(std::min(name.size(), data::file_stem(name).size()));
  return ext.empty() ? ".nii.gz" : ext;
}

std::string fill_name(const std::string& pattern, const std::string& id, const std::string& ext) {
  std::string name = pattern;
  for (const auto& [field, value] : {std::pair<std::string, std::string>{"{id}", id}, {"{ext}", ext}})
    for (size_t at = name.find(field); at != std::string::npos; at = name.find(field, at + value.size())) name.replace(at, field.size(), value);
  return name;
}

// The cells a value gives: a number or text as it is; a tensor of up to kMostValuesInARow values one per value
// ("key", or "key_0", "key_1", ...).
using Cells = std::vector<std::pair<std::string, std::string>>;  // column, text; in column order

void add_cells(const std::string& key, const Value& value, Cells& cells) {
  if (value.is_null()) cells.emplace_back(key, "");  // an input table's empty cell stays empty
  else if (value.is<std::string>()) cells.emplace_back(key, value.as<std::string>());
  else if (value.is<int64_t>()) cells.emplace_back(key, std::to_string(value.as<int64_t>()));
  else if (value.is<double>()) cells.emplace_back(key, exact_text(value.as<double>()));
  else if (value.is<bool>()) cells.emplace_back(key, value.as<bool>() ? "1" : "0");
  else if (value.is<Tensor>() && value.as<Tensor>().numel() <= kMostValuesInARow) {
    const Tensor t = value.as<Tensor>().is_contiguous() ? value.as<Tensor>() : value.as<Tensor>().clone();
    for (int64_t i = 0; i < t.numel(); ++i) {
      std::string text;
      sdk::dispatch_dtype(t.dtype(), [&](auto tag) { text = exact_text(t.data<decltype(tag)>()[i]); });
      cells.emplace_back(t.numel() == 1 ? key : key + "_" + std::to_string(i), text);
    }
  }
}

void check_unique_ids(const std::vector<data::Sample>& samples) {
  std::map<std::string, size_t> seen;
  for (size_t i = 0; i < samples.size(); ++i) {
    const auto [it, fresh] = seen.emplace(samples[i].id, i);
    if (!fresh)
      throw Error(Errc::kInvalidArgument, "inputs " + samples[it->second].origin + " and " + samples[i].origin + " both have the id '" + samples[i].id +
                                              "': each input needs its own id (its row of predictions.csv, its output's name)");
  }
}

// Each input's output file in `out`, checked before anything is written: two inputs writing one file (a name
// without "{id}"), or an output that would overwrite one of its input's files (--out being the inputs' folder),
// would lose data.
void check_outputs(const std::vector<data::Sample>& samples, const std::string& input_key, const BatchInferenceOptions& options,
                   std::vector<std::string>& paths) {
  std::map<fs::path, size_t> writer;
  for (size_t i = 0; i < samples.size(); ++i) {
    paths[i] = (options.out / fill_name(options.output_name, samples[i].id, extensions_of(samples[i].values.find(input_key)))).string();
    const fs::path canonical = fs::weakly_canonical(paths[i]);
    const auto [it, fresh] = writer.emplace(canonical, i);
    if (!fresh)
      throw Error(Errc::kInvalidArgument, "inputs '" + samples[it->second].id + "' and '" + samples[i].id + "' would both write '" + paths[i] +
                                              "': put {id} in --output-name (it is '" + options.output_name + "')");
    for (const auto& [key, value] : samples[i].values.flatten())
      if (value->is<std::string>() && fs::exists(value->as<std::string>()) && fs::weakly_canonical(value->as<std::string>()) == canonical)
        throw Error(Errc::kInvalidArgument, "input '" + samples[i].id + "' (" + samples[i].origin + "): its output '" + paths[i] + "' would overwrite its " +
                                                key + "; choose another --out or --output-name");
  }
}

// Reads and prepares inputs on `workers` threads, at most `ahead` beyond the last one taken, handing them over
// in order.
class Prefetcher {
 public:
  using Prepare = std::function<PreparedInput(size_t)>;
  Prefetcher(size_t count, size_t workers, size_t ahead, Prepare prepare)
      : slots_(count), prepare_(std::move(prepare)), ahead_(std::max(ahead, workers + 1)) {
    for (size_t w = 0; w < std::max<size_t>(1, workers); ++w) threads_.emplace_back([this] { work(); });
  }
  ~Prefetcher() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    changed_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

  // Input i (in order): the prepared sample, or the message of what failed.
  std::pair<PreparedInput, std::string> take(size_t i) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return slots_[i].ready; });
    std::pair<PreparedInput, std::string> out{std::move(slots_[i].sample), std::move(slots_[i].error)};
    slots_[i] = Slot{};
    taken_ = i + 1;
    lock.unlock();
    changed_.notify_all();
    return out;
  }

 private:
  struct Slot {
    bool ready = false;
    PreparedInput sample;
    std::string error;
  };
  void work() {
    for (;;) {
      size_t i = 0;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return stop_ || next_ >= slots_.size() || next_ < taken_ + ahead_; });
        if (stop_ || next_ >= slots_.size()) return;
        i = next_++;
      }
      Slot s;
      try {
        s.sample = prepare_(i);
      } catch (const std::exception& e) {
        s.error = e.what();
      }
      s.ready = true;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        slots_[i] = std::move(s);
      }
      changed_.notify_all();
    }
  }

  std::vector<Slot> slots_;
  Prepare prepare_;
  size_t ahead_, next_ = 0, taken_ = 0;
  bool stop_ = false;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::thread> threads_;
};

// Scores written segmentations against their references on a thread of its own, in the order given, while the
// model predicts the next inputs (reading two label maps and their surface distances takes a good share of a
// case's time on the CPU, and most of it where the model runs on a GPU).
class ScoringQueue {
 public:
  explicit ScoringQueue(ReferenceEvaluation& reference) : reference_(reference), worker_([this] { work(); }) {}
  ~ScoringQueue() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;  // after an error elsewhere: the cases still queued are not needed
    }
    changed_.notify_all();
    worker_.join();
  }
  // A ticket for wait().
  size_t push(std::string written, std::string reference) {
    std::lock_guard<std::mutex> lock(mutex_);
    jobs_.push_back({std::move(written), std::move(reference)});
    errors_.emplace_back();
    changed_.notify_all();
    return jobs_.size() - 1;
  }
  bool done(size_t ticket) {
    std::lock_guard<std::mutex> lock(mutex_);
    return ticket < done_;
  }
  // The case's error message once it is scored ("": scored and added).
  std::string wait(size_t ticket) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return ticket < done_; });
    return errors_[ticket];
  }

 private:
  struct Job {
    std::string written, reference;
  };
  void work() {
    for (;;) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return stop_ || done_ < jobs_.size(); });
        if (stop_) return;
        job = jobs_[done_];
      }
      std::string error;
      try {
        reference_.add(job.written, job.reference);
      } catch (const std::exception& e) {
        error = e.what();
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        errors_[done_++] = std::move(error);
      }
      changed_.notify_all();
    }
  }

  ReferenceEvaluation& reference_;
  std::vector<Job> jobs_;
  std::vector<std::string> errors_;
  size_t done_ = 0;
  bool stop_ = false;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::thread worker_;  // last: started once the rest is made
};

// The columns of predictions.csv holding `key`'s values ("key", or "key_0", "key_1", ...).
std::vector<std::string> columns_of(const std::string& key, const std::vector<std::string>& columns) {
  std::vector<std::string> out;
  for (const std::string& c : columns) {
    if (c == key) return {c};
    if (c.size() > key.size() + 1 && c.compare(0, key.size() + 1, key + "_") == 0 &&
        c.find_first_not_of("0123456789", key.size() + 1) == std::string::npos)
      out.push_back(c);
  }
  return out;
}

// Whether the input has a reference file under `key`.
bool carries(const data::Sample& s, const std::string& key) {
  const Value* v = s.values.find(key);
  return v != nullptr && v->is<std::string>() && !v->as<std::string>().empty();
}

// The reference evaluation, when asked for and the inputs carry the reference (all of them, or none; some,
// when it is a column the training table required or a paired file no inference step reads: a case not
// annotated yet is segmented, not compared).
std::unique_ptr<ReferenceEvaluation> reference_evaluation(const Registry& registry, const Experiment& e, const std::vector<data::Sample>& samples,
                                                          const BatchInferenceOptions& options, BatchInferenceResult& result) {
  const std::string key = !options.reference.empty() ? options.reference : e.inference.reference;
  if (key.empty()) return nullptr;
  const std::string origin = !options.reference.empty() ? "--reference" : "inference.reference";
  const auto carries = [&](const data::Sample& s) { return train::carries(s, key); };
  const auto first = std::find_if(samples.begin(), samples.end(), carries);
  if (first == samples.end()) {
    if (!options.reference.empty()) {
      std::vector<std::string> keys;
      for (const auto& [k, v] : samples.front().values.flatten()) keys.push_back(k);
      throw Error(Errc::kInvalidArgument, "--reference " + key + ": no input carries it" + did_you_mean(key, keys) + " (input '" + samples.front().id +
                                              "' has " + join(keys, ", ") + ")");
    }
    result.not_compared = "the inputs carry no '" + key + "' (the inference's reference)";
    return nullptr;
  }
  const std::vector<std::string> may_lack = keys_inputs_may_lack(e);
  const bool optional = std::find(may_lack.begin(), may_lack.end(), key) != may_lack.end();
  const size_t without = static_cast<size_t>(std::count_if(samples.begin(), samples.end(), [&](const data::Sample& s) { return !carries(s); }));
  if (optional && without > 0)
    result.not_compared = std::to_string(without) + " of " + std::to_string(samples.size()) + " inputs without a '" + key + "' (predicted, not compared)";
  for (const data::Sample& s : samples)
    if (!carries(s) && !optional)
      throw Error(Errc::kInvalidArgument, "input '" + s.id + "' (" + s.origin + ") carries no '" + key + "', which input '" + first->id +
                                              "' carries: every input needs its reference (" + origin + "), or none");
  return std::make_unique<ReferenceEvaluation>(registry, e, key, origin);
}

}  // namespace

BatchInferenceResult predict_all(const Registry& registry, Predictor& predictor, const std::vector<data::Sample>& samples,
                                 const BatchInferenceOptions& options) {
  return predict_all(registry, PredictorChoice{{&predictor}, {}, std::vector<size_t>(samples.size(), 0)}, samples, options);
}

BatchInferenceResult predict_all(const Registry& registry, const PredictorChoice& choice, const std::vector<data::Sample>& samples,
                                 const BatchInferenceOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (samples.empty()) throw Error(Errc::kInvalidArgument, "no inputs to predict");
  if (choice.predictors.empty() || choice.which.size() != samples.size() ||
      std::any_of(choice.which.begin(), choice.which.end(), [&](size_t w) { return w >= choice.predictors.size(); }))
    throw Error(Errc::kInvalidArgument, "predict_all: each input needs one of the predictors given");
  const bool named_models = choice.names.size() == choice.predictors.size() && choice.predictors.size() > 1;
  check_unique_ids(samples);
  const Experiment& e = choice.predictors.front()->experiment();
  const InferenceSpec& spec = e.inference;
  const bool writes = !spec.write.empty();
  fs::create_directories(options.out);
  // A previous call's results in the same folder would pass for this one's where this one writes none (no
  // evaluation, no failure).
  for (const char* name : {"predictions.csv", "errors.csv", "evaluation.json", "report.html"}) fs::remove(options.out / name);
  std::vector<std::string> output_paths(samples.size());
  if (writes) check_outputs(samples, spec.input_key, options, output_paths);
  // A table with the column the training required (its target): a row whose cell is empty is predicted without one.
  const std::vector<std::string> targets_of_table = required_keys(e);
  const bool table_has_target = std::any_of(samples.begin(), samples.end(), [&](const data::Sample& s) {
    return std::any_of(targets_of_table.begin(), targets_of_table.end(), [&](const std::string& key) { return s.values.has(key); });
  });
  const auto input = [&](size_t i) {
    NDict s = samples[i].values;
    leave_out_empty(targets_of_table, s);  // its predictions.csv row keeps the empty cell
    s.set("data.sample_id", samples[i].id);
    if (writes) s.set(spec.output_key, output_paths[i]);
    return choice.predictors[choice.which[i]]->prepare(std::move(s));
  };
  const auto named = [&](size_t i, const std::string& message) { return "input '" + samples[i].id + "' (" + samples[i].origin + "): " + message; };
  // Inputs per model call: as asked, else as the run validated (what fitted its memory).
  const size_t batch = options.batch > 0 ? options.batch : static_cast<size_t>(std::max<int64_t>(1, e.validation.batch_size.value_or(
                                                                                                        static_cast<int64_t>(e.loader.batch_size))));

  BatchInferenceResult result;
  std::unique_ptr<ReferenceEvaluation> reference = reference_evaluation(registry, e, samples, options, result);
  std::vector<std::map<std::string, std::string>> rows;
  std::vector<size_t> case_rows;  // the row of each case compared with its reference
  const std::set<std::string> repeat_id = data::keys_repeating_id(samples);  // data.id: the id column has it
  const std::vector<std::string> target_keys = e.evaluation ? e.evaluation->target_keys() : std::vector<std::string>();
  {
    Prefetcher prefetcher(samples.size(), options.workers, batch, input);  // the next batch read while the model runs
    std::unique_ptr<ScoringQueue> scoring = reference ? std::make_unique<ScoringQueue>(*reference) : nullptr;
    // Rows wait here, in order, until their case is scored against its reference.
    struct Pending {
      size_t i = 0;
      Cells cells;
      std::string error;
      std::optional<size_t> ticket;  // its scoring, when compared
    };
    std::deque<Pending> pending;
    const auto commit = [&](Pending& p) {
      std::string error = std::move(p.error);
      if (error.empty() && p.ticket) error = scoring->wait(*p.ticket);
      if (!error.empty()) {
        if (!options.keep_going) throw Error(Errc::kInvalidArgument, named(p.i, error));
        result.failed.emplace_back(samples[p.i].id, error);
      } else {
        if (result.columns.empty())
          for (const auto& [column, cell] : p.cells) result.columns.push_back(column);
        for (const auto& [column, cell] : p.cells)
          if (std::find(result.columns.begin(), result.columns.end(), column) == result.columns.end())
            throw Error(Errc::kInvalidArgument, named(p.i, "it gives the column '" + column + "', which the first input's predictions do not have (" +
                                                               join(result.columns, ", ") + "); predictions.csv needs the same columns for every input"));
        if (p.ticket) case_rows.push_back(rows.size());
        rows.emplace_back(p.cells.begin(), p.cells.end());
        ++result.predicted;
      }
      if (options.on_progress) options.on_progress(p.i + 1, samples.size());
    };
    // The rows ready (all: waiting for the last scores).
    const auto settle = [&](bool all) {
      while (!pending.empty() && (all || !pending.front().ticket || scoring->done(*pending.front().ticket))) {
        commit(pending.front());
        pending.pop_front();
      }
    };
    std::vector<NDict> outs(batch);
    std::vector<std::string> errors(batch);
    std::vector<std::set<std::string>> prepared_keys(batch);  // an input's keys before the model: not predictions
    size_t first = 0, count = 0;                              // the inputs of the batch in flight
    for (size_t i = 0; i < samples.size(); ++i) {
      if (i == first + count) {
        // The next `batch` inputs of one predictor through the model together (a batch that fails goes input by
        // input).
        first = i;
        count = 1;
        while (count < batch && i + count < samples.size() && choice.which[i + count] == choice.which[i]) ++count;
        std::vector<PreparedInput> prepared;
        std::vector<size_t> slots;
        for (size_t j = 0; j < count; ++j) {
          auto [sample, error] = prefetcher.take(i + j);
          errors[j] = std::move(error);
          prepared_keys[j].clear();
          if (errors[j].empty())
            for (const auto& [key, value] : sample.by_steps[0].flatten()) prepared_keys[j].insert(key);
          if (errors[j].empty()) prepared.push_back(std::move(sample)), slots.push_back(j);
        }
        std::vector<std::string> failed;
        std::vector<NDict> predicted = choice.predictors[choice.which[i]]->predict_prepared(std::move(prepared), failed);
        for (size_t k = 0; k < slots.size(); ++k) outs[slots[k]] = std::move(predicted[k]), errors[slots[k]] = std::move(failed[k]);
      }
      const size_t at = i - first;
      Pending p;
      p.i = i;
      p.error = std::move(errors[at]);
      const NDict out = std::move(outs[at]);
      if (p.error.empty()) {
        try {
          Cells& cells = p.cells;
          cells.emplace_back("id", samples[i].id);
          if (named_models) cells.emplace_back("model", choice.names[choice.which[i]]);
          for (const auto& [key, value] : samples[i].values.flatten())
            if (!value->is<Tensor>() && !repeat_id.count(key)) add_cells(key, *value, cells);
          // The evaluation's targets as the inference steps leave them (a class index from a lookup, labels split
          // from a text column, an uncertain -1 mapped): what the evaluation compares with, as in training.
          for (const std::string& key : target_keys) {
            const Value* v = out.find(key);
            if (v == nullptr && !table_has_target) continue;
            Cells made;
            add_cells(key, v ? *v : Value(), made);  // a row without a target (an empty required cell): empty
            const auto column = std::find_if(cells.begin(), cells.end(), [&](const auto& cell) { return cell.first == key; });
            if (column != cells.end() && made.size() == 1) column->second = made[0].second;  // in the source's column
            else if (column == cells.end()) cells.insert(cells.end(), made.begin(), made.end());
          }
          if (writes) cells.emplace_back("output", output_paths[i]);
          for (const auto& [key, value] : out.flatten())
            if (!prepared_keys[at].count(key) && value->is<Tensor>()) add_cells(key, *value, cells);
          if (reference && carries(samples[i], reference->reference_key()))  // against its reference
            p.ticket = scoring->push(output_paths[i], samples[i].values.get<std::string>(reference->reference_key()));
        } catch (const std::exception& x) {
          p.error = x.what();
        }
      }
      pending.push_back(std::move(p));
      settle(false);
    }
    settle(true);
  }

  // Each case's scores against its reference, after the model's outputs (and in evaluation.json's "cases").
  std::vector<std::vector<double>> case_scores;
  if (reference && reference->cases() > 0) {
    case_scores = reference->per_case();
    for (const std::string& name : reference->names()) {
      if (std::find(result.columns.begin(), result.columns.end(), name) != result.columns.end())
        throw Error(Errc::kInvalidArgument, "the metric '" + name + "' compared with " + reference->reference_key() +
                                                " would be a second column '" + name + "' of predictions.csv: rename the metric");
      result.columns.push_back(name);
      result.reference_columns.push_back(name);
    }
    for (size_t k = 0; k < case_scores.size(); ++k)
      for (size_t m = 0; m < case_scores[k].size(); ++m)
        rows[case_rows[k]][reference->names()[m]] = std::isnan(case_scores[k][m]) ? "nan" : exact_text(case_scores[k][m]);
  }

  if (!rows.empty()) {
    std::string csv;
    for (size_t c = 0; c < result.columns.size(); ++c) csv += (c ? "," : "") + csv_cell(result.columns[c]);
    csv += "\n";
    for (const auto& cells : rows) {
      for (size_t c = 0; c < result.columns.size(); ++c) {
        const auto it = cells.find(result.columns[c]);
        csv += (c ? "," : "") + (it == cells.end() ? std::string() : csv_cell(it->second));
      }
      csv += "\n";
    }
    write_file_atomically(options.out / "predictions.csv", csv);
  }
  if (!result.failed.empty()) {
    std::string csv = "id,error\n";
    for (const auto& [id, error] : result.failed) csv += csv_cell(id) + "," + csv_cell(error) + "\n";
    write_file_atomically(options.out / "errors.csv", csv);
  }

  // The evaluation section, where the inputs carry its target (a test table's label column); the scores against
  // the references beside it.
  boost::json::object results;
  if (e.evaluation && !rows.empty()) {
    const EvaluationSpec& ev = *e.evaluation;
    std::vector<std::string> scores;
    for (const std::string& s : ev.scores) {
      const std::vector<std::string> c = columns_of(s, result.columns);
      if (c.empty()) result.not_evaluated = "the predictions have no '" + s + "' (the evaluation's score)";
      scores.insert(scores.end(), c.begin(), c.end());
    }
    for (const std::string& t : ev.target_keys())
      if (std::find(result.columns.begin(), result.columns.end(), t) == result.columns.end()) {
        result.not_evaluated = "the inputs carry no '" + t + "' (the evaluation's " + (ev.labels.empty() ? "target" : "label") + ")";
        break;  // the first one missing
      }
    if (result.not_evaluated.empty()) {
      eval::EvalConfig config = ev.config;
      config.predictions = {eval::PredictionFile{options.out / "predictions.csv", "inference"}};
      config.id_column = "id";
      config.target_column = ev.target;
      config.label_columns = ev.labels;
      config.score_columns = scores;
      config.skip_rows_without_target = true;  // a table to predict may lack some rows' outcome
      try {
        results = eval::Evaluator(registry, config).run();
      } catch (const Error& error) {
        // A metric the inputs leave undefined (one class only): the predictions stand, unevaluated.
        if (error.code() != Errc::kNumeric) throw;
        result.not_evaluated = error.what();
      }
    }
  }
  if (reference && reference->cases() > 0) {
    eval::CiSpec ci;
    ci.rounds = 1000;
    if (e.evaluation) ci = e.evaluation->config.ci;
    if (results.empty())
      results = {{"metrics", boost::json::object()},
                 {"data", boost::json::object{{"rows", reference->cases()}, {"files", boost::json::array{(options.out / "predictions.csv").string()}}}}};
    boost::json::object& metrics = results["metrics"].as_object();
    for (auto& [name, entry] : reference->results(ci)) {
      if (metrics.contains(name))
        throw Error(Errc::kInvalidArgument, "the metric '" + std::string(name) + "' compared with " + reference->reference_key() +
                                                " has the name of one of the evaluation section's metrics: rename one of them");
      metrics[name] = std::move(entry);
    }
    results["data"].as_object()["reference"] = reference->reference_key();
    std::vector<std::string> ids;
    for (size_t row : case_rows) ids.push_back(rows[row].at("id"));
    results["cases"] = cases_json(ids, reference->names(), case_scores);
  }
  if (!results.empty()) {
    write_file_atomically(options.out / "evaluation.json", json::to_text(results, {2}) + "\n");
    write_file_atomically(options.out / "report.html",
                          report::html_report(results, e.name + " — " + std::to_string(result.predicted) + " inputs, " + options.out.filename().string()));
    result.evaluated = true;
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace fuse::train
