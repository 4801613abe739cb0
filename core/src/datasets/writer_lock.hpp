#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include <sluice/core/util/files.hpp>

namespace sluice::detail {

/// Claims an unversioned file for one run: `.<file name>.lock` next to the file, held with
/// flock (so a killed run frees it) and naming the run id and pid. While a process holds it,
/// another process asking for it gets a DatasetError naming that run; inside one process the
/// claim is shared. Released (and the lock file removed) when the last owner lets go. The
/// folders it creates are synced by `durability` (create_parent_folders); the lock file is not.
std::shared_ptr<const void> claim_for_writing(const std::filesystem::path& file,
                                              std::string_view run_id,
                                              Durability durability = Durability::file_and_folder);

}  // namespace sluice::detail
