// Writes a synthetic clinical table for the clinical example: patients with age, BMI, PSA, smoking and a site,
// whether a biopsy found cancer (the label), drawn from a known risk model, and the years to progression or
// to the end of follow-up (time, event: survival.json), drawn from a proportional-hazards model of the same
// risk. Some BMI and PSA cells are empty, as in real records. train.csv and test.csv (held out, with labels)
// in the given folder.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace {

// One patient's row; `rng` draws the patient and the label, `follow_up` the survival columns (their own
// stream, so the classification columns do not depend on them).
std::string patient(std::mt19937_64& rng, std::mt19937_64& follow_up, int index) {
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const char* sites[] = {"north", "south", "east"};
  const int site = static_cast<int>(rng() % 3);
  const double age = std::round((63 + 8 * normal(rng)) * 10) / 10;
  const double bmi = std::round((27 + 4 * normal(rng)) * 10) / 10;
  const double psa = std::round(std::exp(std::log(4.5) + 0.7 * normal(rng)) * 100) / 100;
  const int smoker = uniform(rng) < 0.3 ? 1 : 0;
  // The risk rises with age, PSA (on a log scale) and smoking, a little with BMI, and differs by site.
  const double logit = -0.4 + 0.07 * (age - 63) + 1.6 * std::log(psa / 4.5) + 0.8 * smoker + 0.05 * (bmi - 27) + 0.3 * (site - 1);
  const int label = uniform(rng) < 1 / (1 + std::exp(-logit)) ? 1 : 0;
  // Missing completely at random: 8% of BMIs and 12% of PSAs.
  const bool no_bmi = uniform(rng) < 0.08, no_psa = uniform(rng) < 0.12;
  char cell[32], row[160];
  std::string bmi_cell, psa_cell;  // empty when missing
  if (!no_bmi) std::snprintf(cell, sizeof cell, "%.1f", bmi), bmi_cell = cell;
  if (!no_psa) std::snprintf(cell, sizeof cell, "%.2f", psa), psa_cell = cell;
  // Years to progression: exponential, its hazard exp(logit) times a baseline of 0.1 a year; follow-up ends
  // after 1 to 10 years (censored).
  const double progression = std::exponential_distribution<double>(0.1 * std::exp(logit))(follow_up);
  const double end = std::uniform_real_distribution<double>(1.0, 10.0)(follow_up);
  const double years = std::max(0.01, std::min(progression, end));
  std::snprintf(row, sizeof row, "pt%04d,%s,%.1f,%s,%s,%d,%d,%.2f,%d\n", index, sites[site], age, bmi_cell.c_str(), psa_cell.c_str(), smoker, label, years,
                progression <= end ? 1 : 0);
  return row;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && argc != 4) {
    std::fprintf(stderr, "usage: %s OUTPUT_FOLDER [TRAIN_PATIENTS TEST_PATIENTS]\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  const int train = argc == 4 ? std::stoi(argv[2]) : 1200, test = argc == 4 ? std::stoi(argv[3]) : 400;
  std::ofstream train_csv(dir + "/train.csv"), test_csv(dir + "/test.csv");
  if (!train_csv || !test_csv) {
    std::fprintf(stderr, "cannot write into %s (does the folder exist?)\n", dir.c_str());
    return 1;
  }
  const char* header = "id,site,age,bmi,psa,smoker,label,time,event\n";
  train_csv << header;
  test_csv << header;
  std::mt19937_64 rng(2026), follow_up(7);
  for (int i = 0; i < train + test; ++i) (i < train ? train_csv : test_csv) << patient(rng, follow_up, i);
  std::printf("wrote %d patients (train.csv) and %d held-out ones (test.csv) to %s\n", train, test, dir.c_str());
  return 0;
}
