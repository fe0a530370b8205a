#include "choose_ensemble.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "../common/shell_word.h"
#include "../common/table.h"
#include "choose_postprocess.h"
#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "fuse/train/ensemble_choice.h"
#include "fuse/train/run_settings.h"

namespace fuse::cli {

namespace fs = std::filesystem;

namespace {

// A difference of Dice: its sign always, four decimals; "-" when undefined.
std::string signed_text(double v) {
  if (std::isnan(v)) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%+.4f", v);
  return text;
}

// Each case's mean Dice per candidate, full precision (an undefined one empty).
void write_cases(const std::string& file, const train::EnsembleChoice& choice) {
  std::ofstream csv(file);
  csv << "id";
  for (const train::EnsembleCandidate& c : choice.candidates)
    if (c.skipped.empty()) csv << "," << csv_cell(choice.name(c));
  csv << "\n";
  for (size_t k = 0; k < choice.ids.size(); ++k) {
    csv << csv_cell(choice.ids[k]);
    for (const train::EnsembleCandidate& c : choice.candidates) {
      if (!c.skipped.empty()) continue;
      char text[32];
      std::snprintf(text, sizeof text, "%.9g", c.case_dice[k]);
      csv << "," << (std::isnan(c.case_dice[k]) ? "" : text);
    }
    csv << "\n";
  }
  if (!csv) throw Error(Errc::kIo, "cannot write '" + file + "'");
}

// The candidates as a table (a pair left out: blank, its reason below; a pair on its first member's grid: said
// below).
void print_candidates(const train::EnsembleChoice& choice, std::ostream& out) {
  std::vector<std::string> header{"CANDIDATE", "DICE"};
  for (int64_t k : choice.chosen().scores.classes) header.push_back("DICE " + std::to_string(k));
  header.insert(header.end(), {"HD95", "VS CHOSEN (95% CI)", "CHOSEN"});
  Table table(header);
  std::vector<std::string> left_out, resampled;
  for (const train::EnsembleCandidate& c : choice.candidates) {
    if (c.resampled) resampled.push_back(choice.name(c));
    if (!c.skipped.empty()) {
      std::vector<std::string> row(header.size() - 1, "-");
      row[0] = choice.name(c);
      row.push_back("");
      table.add(row);
      left_out.push_back(choice.name(c) + ": " + c.skipped);
      continue;
    }
    const train::PostprocessTrial& t = c.scores.trials[0];
    std::vector<std::string> row{choice.name(c), short_number(t.mean_dice)};
    for (double d : t.dice) row.push_back(short_number(d));
    row.push_back(short_number(t.mean_hd95));
    row.push_back(c.chosen ? "" : signed_text(c.vs_chosen) + " [" + signed_text(c.vs_chosen_lower) + ", " + signed_text(c.vs_chosen_upper) + "]");
    row.push_back(c.chosen ? "yes" : "");
    table.add(row);
  }
  table.print(out);
  for (const std::string& why : left_out) out << "not averaged: " << why << "\n";
  // Which candidates were laid onto the first configuration's grid: said, not hidden.
  if (!resampled.empty())
    out << "on the grid of " << choice.names[0] << ": " << join(resampled, ", ") << " (outputs resampled onto it, then scored against its labels)\n";
}

// The candidates whose difference from the chosen one is within the noise of these cases (its interval spans
// 0): said, with where more cases come from when the configurations are single runs (on one fold's handful of
// cases, seg3d's choice was one the test volumes rejected; its cross-validations' was not).
void print_close_calls(const train::EnsembleChoice& choice, bool cross_validated, std::ostream& out) {
  std::vector<std::string> close;
  for (const train::EnsembleCandidate& c : choice.candidates)
    if (!c.chosen && c.skipped.empty() && c.vs_chosen_upper >= 0) close.push_back(choice.name(c));
  if (close.empty()) return;
  out << "within the noise of " << choice.cases << (choice.cases == 1 ? " case" : " cases") << " (an interval across 0): " << join(close, ", ");
  if (!cross_validated) out << "; cross-validations of each (fuse run EXPERIMENT --cross-validate) compare them on every training case";
  out << "\n";
}

// The chosen candidate's post-processing into each of its runs' postprocess.json, which `fuse export` appends to
// the bundles' inference; says so and returns a bundle folder for each run (RUN_bundle).
std::vector<std::string> write_to_runs(const train::EnsembleChoice& choice, const std::vector<train::Configuration>& configurations) {
  const train::EnsembleCandidate& chosen = choice.chosen();
  std::vector<std::string> runs, written, bundles;
  for (size_t m : chosen.members) runs.push_back(choice.names[m]);
  size_t steps = 0;
  for (size_t m : chosen.members) {
    const train::Experiment e = train::read_experiment(configurations[m].experiment, train::run_settings(configurations[m].run, {}), false);
    const boost::json::array chosen_steps = train::keep_component_steps(chosen.scores, e.inference);
    steps = chosen_steps.size();
    train::write_postprocess_choice(configurations[m].run, chosen.scores, chosen_steps, runs.size() > 1 ? runs : std::vector<std::string>{});
    written.push_back((configurations[m].run / "postprocess.json").string());
    fs::path run = configurations[m].run.lexically_normal();
    if (run.filename().empty()) run = run.parent_path();  // "runs/a/" names runs/a
    bundles.push_back(shell_word(run.string() + "_bundle"));
  }
  std::string files;
  for (size_t i = 0; i < written.size(); ++i) files += (i == 0 ? "" : i + 1 == written.size() ? " and " : ", ") + written[i];
  std::cout << "wrote " << files << ": "
            << (steps == 0 ? std::string("no step, the label maps are best as predicted")
                           : std::to_string(steps) + (steps == 1 ? " fuse.medical.keep_components step" : " fuse.medical.keep_components steps") +
                                 " that `fuse export` appends to the inference postprocess")
            << "\n";
  return bundles;
}

}  // namespace

int choose_ensemble(const ChooseEnsembleCommand& o) {
  if (o.pairs.size() % 2 != 0)
    throw Error(Errc::kInvalidArgument, "choose-ensemble takes EXPERIMENT RUN pairs, but " + std::to_string(o.pairs.size()) + " paths are given (the last, '" +
                                            o.pairs.back() + "', has no run folder after it)");
  std::vector<train::Configuration> configurations;
  for (size_t i = 0; i < o.pairs.size(); i += 2) {
    const fs::path experiment = o.pairs[i], run = o.pairs[i + 1];
    if (fs::is_directory(experiment))
      throw Error(Errc::kInvalidArgument, "'" + experiment.string() + "' is a folder where an experiment file is expected: give each configuration as its EXPERIMENT file, then its RUN folder");
    configurations.push_back({experiment, run});
  }
  Registry registry;
  train::ChooseEnsembleOptions options;
  options.run = {o.checkpoint, o.device, {}, o.tta};
  options.metric = o.metric;
  if (!o.no_progress && isatty(fileno(stderr)))  // each case takes a model pass per configuration
    options.on_case = [](size_t done, size_t total) {
      std::fprintf(stderr, "\rcase %zu/%zu", done, total);
      if (done == total) std::fprintf(stderr, "\r\033[K");
      std::fflush(stderr);
    };
  const train::EnsembleChoice choice = train::choose_ensemble(registry, configurations, options);
  std::cout << "judged by the Dice of '" << choice.metric << "' on " << choice.chosen().scores.key << " over " << choice.cases
            << (choice.cases == 1 ? " validation case" : " validation cases") << " (" << o.checkpoint << " checkpoints, "
            << (o.tta ? "with each experiment's test-time flips" : "no test-time flips") << "); an ensemble averages its models' outputs\n";
  print_candidates(choice, std::cout);
  const bool cross_validated = std::all_of(configurations.begin(), configurations.end(),
                                           [](const train::Configuration& c) { return fs::exists(c.run / "cross_validation.json"); });
  print_close_calls(choice, cross_validated, std::cout);
  std::cout << "post-processing of " << choice.name(choice.chosen()) << ":\n";
  print_postprocess_trials(choice.chosen().scores, std::cout);
  const std::vector<std::string> bundles = write_to_runs(choice, configurations);
  if (!o.out.empty()) {
    train::write_ensemble_choice(o.out, choice);
    std::cout << "wrote " << o.out << ": every candidate's scores\n";
  }
  if (!o.csv.empty()) {
    write_cases(o.csv, choice);
    std::cout << "wrote " << o.csv << ": each case's mean Dice per candidate\n";
  }
  // The commands that ship the choice: each run exported, the bundles predicting together.
  std::string next, infer = "fuse infer";
  for (size_t k = 0; k < bundles.size(); ++k) {
    const size_t m = choice.chosen().members[k];
    next += "fuse export " + shell_word(configurations[m].run.string()) + " --out " + bundles[k] + "; ";
    infer += " " + bundles[k];
  }
  std::cout << "next: " << next << infer << " --input IMAGE --output SEGMENTATION\n";
  return 0;
}

}  // namespace fuse::cli
