#include "choose_postprocess.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "../common/table.h"
#include "fuse/train/postprocess_choice.h"
#include "fuse/train/run_settings.h"

namespace fuse::cli {

void print_postprocess_trials(const train::PostprocessChoice& c, std::ostream& out) {
  std::vector<std::string> header{"TRIAL", "DICE"};
  for (int64_t k : c.classes) header.push_back("DICE " + std::to_string(k));
  header.insert(header.end(), {"HD95", "CHOSEN"});
  Table table(header);
  for (size_t t = 0; t < c.trials.size(); ++t) {
    const train::PostprocessTrial& trial = c.trials[t];
    std::vector<std::string> row{trial.what, short_number(trial.mean_dice)};
    for (double d : trial.dice) row.push_back(short_number(d));
    row.push_back(short_number(trial.mean_hd95));
    row.push_back(t == 0 ? "" : trial.chosen ? "yes" : "no");
    table.add(row);
  }
  table.print(out);
}

int choose_postprocess(const ChoosePostprocessCommand& o) {
  Registry registry;
  train::ChoosePostprocessOptions options;
  options.run = {o.checkpoint, o.device, o.settings, o.tta};
  options.metric = o.metric;
  if (!o.no_progress && isatty(fileno(stderr)))  // a run's validation cases take a model pass each
    options.on_case = [](const std::string& run, size_t done, size_t total) {
      std::fprintf(stderr, "\r%s: case %zu/%zu", run.c_str(), done, total);
      if (done == total) std::fprintf(stderr, "\r\033[K");  // the run's line below replaces it
      std::fflush(stderr);
    };
  size_t runs = 0;
  options.on_run = [&runs](const std::string& run, size_t cases) {
    ++runs;
    std::cout << run << ": " << cases << (cases == 1 ? " validation case\n" : " validation cases\n");
  };
  const train::PostprocessChoice c = train::choose_postprocess(registry, o.experiment, o.run, options);
  std::cout << "judged by the Dice of '" << c.metric << "' on " << c.key << " over " << c.cases << (c.cases == 1 ? " case" : " cases")
            << (runs == 1 ? " (" + o.checkpoint + " checkpoint" : " of " + std::to_string(runs) + " runs (" + o.checkpoint + " checkpoints")
            << (o.tta ? ", with the test-time flips)\n" : ")\n");
  print_postprocess_trials(c, std::cout);
  // The steps as the bundles' inference will run them (their written labels' scores cleaned too).
  const train::Experiment e = train::read_experiment(o.experiment, train::run_settings(o.run, o.settings), false);
  const boost::json::array steps = train::keep_component_steps(c, e.inference);
  train::write_postprocess_choice(o.run, c, steps);
  const std::string file = (std::filesystem::path(o.run) / "postprocess.json").string();
  if (steps.empty())
    std::cout << "wrote " << file << ": no step, the label maps are best as predicted\n";
  else
    std::cout << "wrote " << file << ": " << steps.size() << (steps.size() == 1 ? " fuse.medical.keep_components step" : " fuse.medical.keep_components steps")
              << " that `fuse export " << o.run << "` appends to the inference postprocess\n";
  return 0;
}

}  // namespace fuse::cli
