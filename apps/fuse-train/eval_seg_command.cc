#include "eval_seg_command.h"

#include <cmath>
#include <cstdio>
#include <iostream>

#include <CLI/Error.hpp>

#include "../common/label_regions.h"
#include "fuse/base/error.h"
#include "fuse/base/file.h"
#include "fuse/base/strings.h"
#include "fuse/json/write.h"
#include "fuse/report/html.h"
#include "print_evaluation.h"

namespace fuse::cli {

namespace fs = std::filesystem;


// `fuse eval-seg`: another tool's segmentations against references, folder against folder.
int eval_seg(EvalSegOptions& o) {
  if (!o.regions.empty()) {
    if (o.num_classes_given)
      throw CLI::ValidationError("--regions", "and --num-classes are both given: --regions scores regions of labels, --num-classes classes; give one");
    if (o.folders.include_background) throw CLI::ValidationError("--include-background", "does not apply to --regions: no region holds the background");
    try {
      o.folders.regions = fuse::apps::parse_regions(o.regions, &o.folders.region_names);
    } catch (const fuse::Error& e) {
      throw CLI::ValidationError("--regions", e.what());
    }
  } else if (!o.num_classes_given) {
    throw CLI::ValidationError("--num-classes", "is needed (labels 0 .. N - 1), or --regions");
  }
  fuse::Registry registry;
  const bool bar = !o.no_progress && isatty(fileno(stderr));
  const fuse::train::MaskFoldersResult r =
      fuse::train::evaluate_mask_folders(registry, o.folders, [&](size_t done, size_t total) {
        if (!bar) return;
        std::fprintf(stderr, "\rscoring %zu/%zu%s", done, total, done == total ? "\n" : "");
        std::fflush(stderr);
      });
  std::cout << "scored " << r.ids.size() << " cases\n";
  print_evaluation(r.results);
  if (o.out.empty()) return 0;
  const fs::path out = o.out;
  fs::create_directories(out);
  std::string csv = "id,prediction,reference";
  for (const std::string& n : r.names) csv += "," + fuse::csv_cell(n);
  csv += "\n";
  for (size_t k = 0; k < r.ids.size(); ++k) {
    csv += fuse::csv_cell(r.ids[k]) + "," + fuse::csv_cell(r.predictions[k]) + "," + fuse::csv_cell(r.references[k]);
    for (double v : r.per_case[k]) csv += "," + (std::isnan(v) ? std::string("nan") : fuse::json::format_number(v));
    csv += "\n";
  }
  fuse::write_file_atomically(out / "cases.csv", csv);
  fuse::write_file_atomically(out / "evaluation.json", fuse::json::to_text(r.results, {2}) + "\n");
  fuse::write_file_atomically(out / "report.html",
                              fuse::report::html_report(r.results, "Segmentations " + o.folders.predictions.string() + " against " + o.folders.references.string()));
  std::cout << "wrote " << (out / "cases.csv").string() << ", evaluation.json, report.html\n";
  return 0;
}

}  // namespace fuse::cli
