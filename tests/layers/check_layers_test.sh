#!/usr/bin/env bash
# scripts/check-layers.sh on scratch copies of the tree's core/, runners/, hooks/ and storage/:
# passes on the copy as it is, and fails, naming the file, the line and the rule, for each wrong
# arrow planted in it. Usage: check_layers_test.sh <source tree>
set -euo pipefail
source_tree="$1"
check="$source_tree/scripts/check-layers.sh"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

fresh_copy() {
  rm -rf "$scratch/tree"
  mkdir "$scratch/tree"
  cp -r "$source_tree/core" "$source_tree/runners" "$source_tree/hooks" "$scratch/tree"
  tar -C "$source_tree" --exclude=node_modules -cf - storage | tar -C "$scratch/tree" -xf -
}

failed=0
# expect_failure <what> <text the message must contain>: the check fails on the copy, saying it.
expect_failure() {
  local output
  if output=$("$check" "$scratch/tree" 2>&1); then
    echo "FAIL: $1: the check passed" >&2
    failed=1
  elif ! grep -qF -- "$2" <<<"$output"; then
    echo "FAIL: $1: the message lacks '$2':" >&2
    echo "$output" >&2
    failed=1
  fi
}

fresh_copy
if ! output=$("$check" "$scratch/tree" 2>&1); then
  echo "FAIL: the tree as it is: $output" >&2
  failed=1
fi

fresh_copy
printf '#include <string>\n#include <sluice/runners/runner.hpp>\n' >"$scratch/tree/core/src/planted.cpp"
expect_failure "core including runners" \
  "core/src/planted.cpp:2: core/ includes <sluice/runners/runner.hpp>: core is the bottom layer"

fresh_copy
printf '#include "sluice/hooks/tee.hpp"\n' >"$scratch/tree/core/include/sluice/core/planted.hpp"
expect_failure "core including hooks" "core/include/sluice/core/planted.hpp:1: core/ includes <sluice/hooks/tee.hpp>"

fresh_copy
printf '\n#include <sluice/bench/harness.hpp>\n' >"$scratch/tree/runners/src/planted.cpp"
expect_failure "runners including bench" "runners/src/planted.cpp:2: runners/ includes <sluice/bench/harness.hpp>: runners depend on core only"

fresh_copy
printf '#  include <sluice/runners/node_error.hpp>\n' >"$scratch/tree/hooks/tee/src/planted.cpp"
expect_failure "a hook including runners" "hooks/tee/src/planted.cpp:1: hooks/ includes <sluice/runners/node_error.hpp>: hooks depend on core only"

fresh_copy
printf '#include <sluice/tools/session.hpp>\n' >"$scratch/tree/hooks/cache/src/planted.cpp"
expect_failure "a hook including tools" "hooks/cache/src/planted.cpp:1: hooks/ includes <sluice/tools/session.hpp>"

fresh_copy
printf '\ntarget_link_libraries(sluice_tee PUBLIC\n  sluice_runners)\n' >>"$scratch/tree/hooks/tee/CMakeLists.txt"
expect_failure "a hook linking runners" "hook tee links sluice_runners: hooks link core only"

fresh_copy
printf 'sluice_add_plugin(extra SOURCES src/extra.cpp LIBRARIES sluice::session)\n' >>"$scratch/tree/hooks/cache/CMakeLists.txt"
expect_failure "a hook's plugin linking the session" "hook cache links sluice::session"

fresh_copy
printf 'target_link_libraries(sluice_timeline PRIVATE Boost::headers)\n' >>"$scratch/tree/hooks/timeline/CMakeLists.txt"
expect_failure "a hook linking a third-party library" "hook timeline links Boost::headers"

fresh_copy
printf '#include <sluice/runners/runner.hpp>\n' >"$scratch/tree/storage/s3/src/planted.cpp"
expect_failure "a storage library including runners" "storage/s3/src/planted.cpp:1: storage/ includes <sluice/runners/runner.hpp>: storage libraries depend on core only"

fresh_copy
printf 'target_link_libraries(sluice_s3 PRIVATE sluice::tee)\n' >>"$scratch/tree/storage/s3/CMakeLists.txt"
expect_failure "a storage library linking a hook" "storage library s3 links sluice::tee: storage libraries link core only"

fresh_copy
printf 'target_link_libraries(sluice_redis PRIVATE sluice_runners)\n' >>"$scratch/tree/storage/redis/CMakeLists.txt"
expect_failure "a storage library linking runners" "storage library redis links sluice_runners: storage libraries link core only"

exit "$failed"
