#!/usr/bin/env bash
# Checks that the layer arrows run one way (docs/architecture.md, "Layers as built"):
#   core <- runners <- session, bench <- tools, core <- hooks (plugins) and core <- storage.
# Fails, naming the file, the line and the rule, when
#   - a source under core/ includes a runners, hooks, bench or tools header;
#   - a source under runners/ includes a hooks, bench or tools header;
#   - a source under hooks/ includes a runners, bench or tools header;
#   - a source under storage/ includes a runners, hooks, bench or tools header;
#   - a hooks/*/CMakeLists.txt links anything but core (sluice_core, sluice::core) and the
#     hook's own library;
#   - a storage/*/CMakeLists.txt links a sluice library other than core and its own (the
#     external library the folder exists for, such as libcurl, is fine).
# Reads the sources only (no build needed). Usage: scripts/check-layers.sh [source tree]
set -euo pipefail
root="${1:-$(dirname "$0")/..}"
cd "$root"

failures=0
fail() {  # file:line: what, and the rule
  echo "$1" >&2
  failures=$((failures + 1))
}

# check_includes <folder> <layers it must not include> <why>
check_includes() {
  local folder="$1" forbidden="$2" why="$3"
  [[ -d "$folder" ]] || return 0
  local hits
  hits=$(find "$folder" -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name '*.cc' \
    -o -name '*.ipp' -o -name '*.inl' \) -print0 | sort -z |
    xargs -0 -r grep -HnE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]sluice/($forbidden)(/|\.hpp)" ||
    true)
  while IFS= read -r hit; do
    [[ -n "$hit" ]] || continue
    local where="${hit%%:*}" rest="${hit#*:}"
    local line="${rest%%:*}" text="${rest#*:}"
    local header
    header=$(sed -E 's/.*[<"](sluice\/[^>"]*)[>"].*/\1/' <<<"$text")
    fail "$where:$line: $folder/ includes <$header>: $why"
  done <<<"$hits"
}

check_includes core 'runners|hooks|bench|tools' \
  "core is the bottom layer and includes no other layer's headers; move what it needs into core, or the code that needs it up a layer"
check_includes runners 'hooks|bench|tools' \
  "runners depend on core only (hooks attach through core's HookManager); move what it needs into core"
check_includes hooks 'runners|bench|tools' \
  "hooks depend on core only (a hook sees a run through its events and the error given to on_pipeline_error); move what it needs into core"
check_includes storage 'runners|hooks|bench|tools' \
  "storage libraries depend on core only (a dataset or scheme plugs into core's registry); move what it needs into core"

# Each hook's and storage library's CMakeLists.txt: every library named in a link
# (target_link_libraries, and the LIBRARIES / PUBLIC_DEPS / PRIVATE_DEPS of sluice_add_*) and
# every sluice target it mentions is core or the folder's own; a storage library may also link
# external (non-sluice) libraries.
for file in hooks/*/CMakeLists.txt storage/*/CMakeLists.txt; do
  [[ -f "$file" ]] || continue
  hook=$(basename "$(dirname "$file")")
  layer=$(dirname "$(dirname "$file")")
  awk -v file="$file" -v hook="$hook" -v layer="$layer" '
    function allowed(token) {
      if (layer == "storage" && token ~ /^PkgConfig::/) return 1
      return token == "sluice_core" || token == "sluice::core" || token == "sluice_" hook ||
             token == "sluice::" hook || token == "sluice_build_flags" ||
             token == "$<BUILD_INTERFACE:sluice_build_flags>"
    }
    function report(token) {
      if (layer == "storage")
        printf "%s:%d: storage library %s links %s: storage libraries link core only (sluice_core or sluice::core) among sluice libraries; move what it needs into core\n", file, FNR, hook, token
      else
        printf "%s:%d: hook %s links %s: hooks link core only (sluice_core or sluice::core, through sluice_add_hook); move what it needs into core\n", file, FNR, hook, token
      found++
    }
    {
      sub(/#.*/, "")
      n = split($0, words, /[[:space:]()]+/)
      for (i = 1; i <= n; i++) {
        word = words[i]
        if (word == "") continue
        if (word ~ /^(target_link_libraries|sluice_add_[a-z_]+)$/ && index($0, word "(") > 0) {
          call = word; linking = (word == "target_link_libraries"); first = linking; continue
        }
        if (word ~ /^[A-Z_]+$/) {  # a keyword: links follow LIBRARIES and *_DEPS
          if (call == "target_link_libraries") continue
          linking = (word == "LIBRARIES" || word ~ /_DEPS$/)
          continue
        }
        if (first) { first = 0; continue }  # the target being linked
        if (linking && !allowed(word) && (layer != "storage" || word ~ /^sluice(_|::)/)) {
          report(word); continue
        }
        if (word ~ /^sluice(_|::)/ && word !~ /^sluice_add_/ && !allowed(word)) report(word)
      }
      if (index($0, ")") > 0) { call = ""; linking = 0 }
    }
    END { exit found > 0 }
  ' "$file" >&2 || failures=$((failures + 1))
done

if ((failures > 0)); then
  echo "check-layers: an arrow runs the wrong way (docs/architecture.md, \"Layers as built\")" >&2
  exit 1
fi
echo "check-layers: every arrow runs the right way"
