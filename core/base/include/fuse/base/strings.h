// Small string helpers used in error messages: edit distance, "did you mean", joining and splitting.
#ifndef FUSE_BASE_STRINGS_H_
#define FUSE_BASE_STRINGS_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace fuse {

// Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent transpositions.
size_t edit_distance(std::string_view a, std::string_view b);

// The `max_results` candidates nearest to `word` by edit distance, nearest first (ties keep candidate order).
std::vector<std::string> nearest(std::string_view word, const std::vector<std::string>& candidates,
                                 size_t max_results);

// "; did you mean 'x'?" for the nearest candidate when it is close enough to be a likely typo, else "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

std::string join(const std::vector<std::string>& parts, std::string_view separator);

// ASCII letters in lower case ("Scan.PNG" -> "scan.png").
std::string lowercase(std::string_view text);

// Splits on every `separator`; empty parts are kept ("a..b" gives "a", "", "b").
std::vector<std::string_view> split(std::string_view text, char separator);
std::vector<std::string_view> split(std::string_view text, std::string_view separator);  // a non-empty separator

// Without the spaces and tabs at either end.
std::string_view trim(std::string_view text);

// A CSV cell as RFC 4180 wants it: quoted (quotes doubled) when it holds a comma, a quote or a line break.
std::string csv_cell(std::string_view text);

// 'a', 'b' and 'c' style list of quoted names for messages.
std::string quoted_list(const std::vector<std::string>& names);

// Names in order, the digits within them by their numbers' values: "fold_2" before "fold_10".
bool natural_less(std::string_view a, std::string_view b);

}  // namespace fuse

#endif  // FUSE_BASE_STRINGS_H_
