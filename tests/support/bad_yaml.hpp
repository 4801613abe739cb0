#pragma once

namespace sluice::testing {

/// A catalog whose `X_train` is indented under the `&slow` anchor by mistake, so that its merge
/// key `<<: *slow` (line 6, column 9) is inside the anchor it refers to.
inline constexpr const char* kAliasInsideItsAnchor =
    "_slow: &slow\n"
    "  type: SimulatedStorage\n"
    "  read_latency: 1s\n"
    "\n"
    "  X_train:\n"
    "    <<: *slow\n"
    "    dataset: {type: BinaryDataset, filepath: data/05_model_input/X_train.bin}\n";

}  // namespace sluice::testing
