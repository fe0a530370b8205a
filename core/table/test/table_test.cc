#include "fuse/table/table.h"

#include <cmath>
#include <fstream>
#include <functional>

#include <gtest/gtest.h>

#include "fuse/base/error.h"

namespace fuse::table {
namespace {

namespace fs = std::filesystem;

fs::path write(const std::string& name, const std::string& text) {
  fs::path p = fs::temp_directory_path() / ("fuse_table_test_" + name);
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(Table, ReadsRequestedCsvColumnsOnly) {
  fs::path p = write("a.csv", "id,label,score,site\ncase1,1,0.9,\"Oslo, Norway\"\ncase2,0,0.25,Bergen\r\ncase3,1,,Oslo\n");
  Table t = read_table(p, {{"score", Kind::kNumber}, {"id", Kind::kText}, {"site", Kind::kText}});
  ASSERT_EQ(t.size(), 3u);
  ASSERT_EQ(t.columns.size(), 3u);
  EXPECT_EQ(t.column("score").numbers[0], 0.9);
  EXPECT_EQ(t.column("score").numbers[1], 0.25);
  EXPECT_TRUE(std::isnan(t.column("score").numbers[2]));  // empty field
  EXPECT_EQ(t.column("id").text.at(2), "case3");
  EXPECT_EQ(t.column("site").text.at(0), "Oslo, Norway");  // quoted delimiter
  EXPECT_EQ(t.rows, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(t.where(1), "row 2 of " + p.string());
  EXPECT_EQ(t.column("score").text_at(1), "0.25");
}

TEST(Table, TsvAndJsonLines) {
  Table tsv = read_table(write("b.tsv", "id\tscore\na b\t1.5\n"), {{"id", Kind::kText}, {"score", Kind::kNumber}});
  EXPECT_EQ(tsv.column("id").text.at(0), "a b");
  EXPECT_EQ(tsv.column("score").numbers[0], 1.5);

  fs::path p = write("c.jsonl", "{\"id\": \"a\", \"label\": 2, \"probs\": [0.1, 0.7, 0.2], \"ok\": true}\n\n"
                                "{\"id\": \"b\", \"label\": 0, \"probs\": [0.8, 0.1, 0.1]}\n");
  std::unique_ptr<Reader> r = Reader::open(p);
  EXPECT_EQ(r->columns(), (std::vector<std::string>{"id", "label", "probs.0", "probs.1", "probs.2", "ok"}));
  EXPECT_EQ(match_columns(r->columns(), "probs.*"), (std::vector<std::string>{"probs.0", "probs.1", "probs.2"}));
  Table t = read_table(p, {{"probs.1", Kind::kNumber}, {"label", Kind::kNumber}, {"ok", Kind::kNumber}});
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t.column("probs.1").numbers[0], 0.7);
  EXPECT_EQ(t.column("label").numbers[1], 0.0);
  EXPECT_EQ(t.column("ok").numbers[0], 1.0);
  EXPECT_TRUE(std::isnan(t.column("ok").numbers[1]));  // missing key
}

TEST(Table, JsonLinesAndCsvReadTheSameNumbers) {
  // 0.11935319286735585: a double that Boost.JSON 1.81's own conversion reads one bit off.
  const Table csv = read_table(write("exact.csv", "score\n0.11935319286735585\n"), {{"score", Kind::kNumber}});
  const Table jsonl = read_table(write("exact.jsonl", "{\"score\": 0.11935319286735585}\n"), {{"score", Kind::kNumber}});
  EXPECT_EQ(csv.column("score").numbers[0], 0.11935319286735585);
  EXPECT_EQ(jsonl.column("score").numbers[0], csv.column("score").numbers[0]);
}

TEST(Table, MissingColumnIsNamedWithASuggestion) {
  fs::path p = write("d.csv", "id,label,score\nx,1,0.5\n");
  EXPECT_EQ(error_of([&] { read_table(p, {{"scor", Kind::kNumber}}); }),
            p.string() + ": no column 'scor'; did you mean 'score'? (columns: id, label, score)");
}

TEST(Table, BadNumbersAndRowsAreLocated) {
  fs::path p = write("e.csv", "id,score\na,0.5\nb,high\n");
  EXPECT_EQ(error_of([&] { read_table(p, {{"score", Kind::kNumber}}); }),
            "row 2 of " + p.string() + ": column 'score' holds 'high', not a number");
  fs::path q = write("f.csv", "id,score\na,0.5\nb\n");
  EXPECT_EQ(error_of([&] { read_table(q, {{"score", Kind::kNumber}}); }),
            "row 2 of " + q.string() + " has 1 fields; the header has 2");
  EXPECT_EQ(error_of([&] { read_table(write("g.csv", ""), {}); }), fs::temp_directory_path().string() + "/fuse_table_test_g.csv: empty file (no header row)");
  EXPECT_EQ(error_of([&] { Reader::open("x.parquet"); }), "x.parquet: unknown table format '.parquet' (expected .csv, .tsv, .jsonl or .ndjson)");
  EXPECT_EQ(error_of([&] { read_table(write("h.jsonl", "{\"a\": 1}\n[1, 2]\n"), {{"a", Kind::kNumber}}); }),
            fs::temp_directory_path().string() + "/fuse_table_test_h.jsonl:2: each line must be a JSON object");
}

TEST(Table, RowsStayWholeAcrossBlocksReadIntoFreshTables) {
  // Every row holds i and 2i; rows split by a block boundary must not mix columns.
  std::string text = "a,b\n";
  for (int i = 0; i < 150000; ++i) text += std::to_string(i) + "," + std::to_string(2 * i) + "\n";
  fs::path p = write("pairs.csv", text);
  std::unique_ptr<Reader> r = Reader::open(p);
  r->select({{"a", Kind::kNumber}, {"b", Kind::kNumber}});
  size_t rows = 0, blocks = 0;
  while (true) {
    Table block;
    if (!r->read(block)) break;
    ++blocks;
    ASSERT_EQ(block.column("a").numbers.size(), block.size());
    ASSERT_EQ(block.column("b").numbers.size(), block.size());
    for (size_t i = 0; i < block.size(); ++i) {
      ASSERT_EQ(block.column("b").numbers[i], 2 * block.column("a").numbers[i]) << "block " << blocks << " row " << i;
      ASSERT_EQ(block.rows[i], static_cast<int64_t>(block.column("a").numbers[i]) + 1);
    }
    rows += block.size();
  }
  EXPECT_EQ(rows, 150000u);
  EXPECT_GT(blocks, 1u);
  fs::remove(p);
}

TEST(Table, LargeFilesStreamInBlocks) {
  std::string text = "id,score\n";
  for (int i = 0; i < 200000; ++i) text += "case_" + std::to_string(i) + "," + std::to_string(i % 1000) + ".5\n";
  fs::path p = write("big.csv", text);
  std::unique_ptr<Reader> r = Reader::open(p);
  r->select({{"score", Kind::kNumber}});
  size_t blocks = 0, rows = 0;
  double sum = 0;
  Table chunk;
  while (true) {
    chunk = Table();
    if (!r->read(chunk)) break;
    ++blocks;
    rows += chunk.size();
    for (double v : chunk.column("score").numbers) sum += v;
  }
  EXPECT_EQ(rows, 200000u);
  EXPECT_GT(blocks, 1u);  // the 3.4 MB file came in several blocks
  EXPECT_DOUBLE_EQ(sum, 200.0 * (999.0 * 1000.0 / 2.0 + 0.5 * 1000.0));
  fs::remove(p);
}

}  // namespace
}  // namespace fuse::table
