// Whether an experiment is the one a run folder's config.json records, in the sections that decide what its
// model learned from and is: a run validated or resumed with another would give numbers for neither. Internal.
#ifndef FUSE_TRAIN_SRC_RECORDED_DIFFERENCE_H_
#define FUSE_TRAIN_SRC_RECORDED_DIFFERENCE_H_

#include <string>
#include <vector>

#include <boost/json/value.hpp>

namespace fuse::train {

// The first difference between `now` (an experiment's resolved JSON, fitted values written) and `recorded` (a
// run's config.json) within `sections` (each a path of member names), in words: "data.static.3.spacing.0 is 2.4
// there and 1.6 in the run's config.json" (long values cut). "" where they agree, or where `recorded` is not
// an object (a run folder without config.json).
std::string recorded_difference(const boost::json::value& now, const boost::json::value& recorded, const std::vector<std::vector<std::string>>& sections);

}  // namespace fuse::train

#endif  // FUSE_TRAIN_SRC_RECORDED_DIFFERENCE_H_
