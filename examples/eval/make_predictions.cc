// Writes the predictions of two models on 1,000 synthetic cases (a binary diagnosis, three sites, five
// folds) for the evaluation example: model_a.csv and model_b.csv in the given folder.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_FOLDER\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  std::ofstream a(dir + "/model_a.csv"), b(dir + "/model_b.csv");
  if (!a || !b) {
    std::fprintf(stderr, "cannot write into %s\n", dir.c_str());
    return 1;
  }
  a << "id,label,score,site,fold\n";
  b << "id,label,score\n";
  std::mt19937_64 rng(2026);
  std::normal_distribution<double> noise(0.0, 1.0);
  const char* sites[] = {"oslo", "bergen", "tromso"};
  for (int i = 0; i < 1000; ++i) {
    const int site = static_cast<int>(rng() % 3);
    const int label = std::uniform_real_distribution<double>(0, 1)(rng) < 0.25 + 0.1 * site ? 1 : 0;
    // Model A separates the classes better than model B, and less well at the third site.
    const double logit_a = -1.2 + (2.4 - 0.6 * site) * label + noise(rng);
    const double logit_b = -1.0 + 1.4 * label + noise(rng);
    a << "case" << i << "," << label << "," << 1 / (1 + std::exp(-logit_a)) << "," << sites[site] << "," << i % 5 << "\n";
    b << "case" << i << "," << label << "," << 1 / (1 + std::exp(-logit_b)) << "\n";
  }
  return 0;
}
