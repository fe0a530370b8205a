// Commands printed for the user to run next: each argument as a shell reads it back.
#ifndef FUSE_APPS_COMMON_SHELL_WORD_H_
#define FUSE_APPS_COMMON_SHELL_WORD_H_

#include <string>

namespace fuse::cli {

// `a` as it is where a shell would read it so, else single-quoted (a quote inside written '\'').
std::string shell_word(const std::string& a);

}  // namespace fuse::cli

#endif  // FUSE_APPS_COMMON_SHELL_WORD_H_
