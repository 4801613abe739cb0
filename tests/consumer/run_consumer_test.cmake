# ctest consumer.find_package: what a user does with an installed sluice, from the install alone.
#
#  1. Installing a tree before building says to build `sluice`; building the quick start's
#     targets (the `cmake --build` line of scripts/run-example.sh) builds every file
#     `cmake --install` copies, so install works after the quick start.
#  2. `cmake --install` into a scratch prefix outside the source and build trees; no
#     installed file may point back into them (the only paths allowed are source file names kept
#     for assertion messages).
#  3. consumer_steps.cmake, from a copy of this folder next to the prefix: configure and build a
#     project with its own pipeline library, hook plugin and embedding program against the
#     prefix, and run it with the installed `sluice`. Where user namespaces allow it, the steps run
#     with the source and build trees hidden (an empty tmpfs mounted over each).
#
# Arguments: -DSOURCE_DIR=... -DBUILD_DIR=... -DCONSUMER_DIR=...
cmake_minimum_required(VERSION 3.25)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "failed (${result}): ${ARGN}\n${out}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

function(is_inside path folder result)
  cmake_path(IS_PREFIX folder "${path}" NORMALIZE inside)
  set(${result} ${inside} PARENT_SCOPE)
endfunction()

load_cache("${BUILD_DIR}" READ_WITH_PREFIX build_ CMAKE_MAKE_PROGRAM CMAKE_GENERATOR
  CMAKE_BUILD_TYPE CMAKE_STRIP)
find_program(strings NAMES strings REQUIRED)

# A scratch folder outside both trees, so that hiding them leaves it in place.
if(DEFINED ENV{TMPDIR} AND IS_DIRECTORY "$ENV{TMPDIR}")
  set(temp "$ENV{TMPDIR}")
else()
  set(temp /tmp)
endif()
string(SHA1 tree_id "${BUILD_DIR}")
string(SUBSTRING "${tree_id}" 0 10 tree_id)
file(REAL_PATH "${temp}" temp)
set(work "${temp}/sluice-consumer-${tree_id}")
set(prefix "${work}/prefix")
file(REMOVE_RECURSE "${work}")
file(MAKE_DIRECTORY "${work}")

# 1. Installing a tree where nothing is built yet says what to build; building the quick start's
# targets builds what install needs.
run(${CMAKE_COMMAND} -S "${SOURCE_DIR}" -B "${work}/unbuilt" -G "${build_CMAKE_GENERATOR}"
  -DSLUICE_BUILD_TESTS=OFF -DSLUICE_BUILD_BENCH=OFF)
execute_process(COMMAND ${CMAKE_COMMAND} --install "${work}/unbuilt" --prefix "${work}/unused"
  RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(result EQUAL 0 OR NOT out MATCHES "build the 'sluice' target first")
  message(FATAL_ERROR "installing an unbuilt tree should say what to build (${result}):\n${out}")
endif()
file(REMOVE_RECURSE "${work}/unbuilt")

if(build_CMAKE_GENERATOR STREQUAL "Ninja")
  file(STRINGS "${SOURCE_DIR}/scripts/run-example.sh" quick_start_build REGEX "^cmake --build ")
  if(NOT quick_start_build MATCHES "--target ([^;]+)")
    message(FATAL_ERROR "no `cmake --build ... --target ...` line in scripts/run-example.sh: "
      "${quick_start_build}")
  endif()
  string(REPLACE " " ";" quick_start_targets "${CMAKE_MATCH_1}")
  run(${build_CMAKE_MAKE_PROGRAM} -C "${BUILD_DIR}" -t commands ${quick_start_targets})
  set(quick_start_commands "${last_output}")
else()
  message(STATUS "not checking what the quick start builds: needs a Ninja build tree")
endif()

run(${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}")

file(GLOB_RECURSE installed LIST_DIRECTORIES false "${prefix}/*")
foreach(file IN LISTS installed)
  if(IS_SYMLINK "${file}")
    continue()
  endif()
  cmake_path(GET file FILENAME name)
  cmake_path(RELATIVE_PATH file BASE_DIRECTORY "${prefix}" OUTPUT_VARIABLE relative)
  if(DEFINED quick_start_commands AND relative MATCHES "^(bin|lib)/" AND NOT name MATCHES
     "\\.cmake$")
    string(FIND "${quick_start_commands}" "/${name}" built)
    if(built EQUAL -1)
      message(FATAL_ERROR "`cmake --install` copies ${relative}, which the quick start's "
        "`cmake --build --target ${quick_start_targets}` (scripts/run-example.sh) does not build")
    endif()
  endif()

  # 2. Nothing installed points back into the source or build tree. Binaries are read without
  # their debug information, which names the sources for debuggers.
  file(READ "${file}" magic LIMIT 8 HEX)
  set(scanned "${file}")
  if(magic MATCHES "^7f454c46" OR magic STREQUAL "213c617263683e0a")  # ELF, ar archive
    file(COPY_FILE "${file}" "${work}/scan")
    run(${build_CMAKE_STRIP} --strip-debug "${work}/scan")
    execute_process(COMMAND ${strings} -a "${work}/scan" OUTPUT_FILE "${work}/scan.txt"
      COMMAND_ERROR_IS_FATAL ANY)
    set(scanned "${work}/scan.txt")
  endif()
  foreach(tree IN ITEMS "${SOURCE_DIR}" "${BUILD_DIR}")
    string(REGEX REPLACE "([][+.*()^$?|\\])" "\\\\\\1" tree_pattern "${tree}")
    file(STRINGS "${scanned}" hits REGEX "${tree_pattern}")
    foreach(hit IN LISTS hits)
      string(REGEX MATCH "${tree_pattern}[^ '\"]*" path "${hit}")
      is_inside("${path}" "${BUILD_DIR}" in_build)
      if(in_build OR NOT path MATCHES "\\.(cpp|hpp|h)$")  # __FILE__ of an assertion
        message(FATAL_ERROR "the installed ${relative} refers to '${path}', in the tree sluice "
          "was built in; the install must work without it")
      endif()
    endforeach()
  endforeach()
  file(REMOVE "${work}/scan" "${work}/scan.txt")
endforeach()

# 3. The user's project, from a copy outside the trees.
file(COPY "${CONSUMER_DIR}/" DESTINATION "${work}/consumer")
set(hide "${SOURCE_DIR}")
is_inside("${BUILD_DIR}" "${SOURCE_DIR}" build_in_source)
if(NOT build_in_source)
  list(APPEND hide "${BUILD_DIR}")
endif()
list(JOIN hide ":" hidden)
set(steps ${CMAKE_COMMAND} -DWORK_DIR=${work} -DPREFIX=${prefix}
  -DBUILD_TYPE=${build_CMAKE_BUILD_TYPE})
# hide.sh FOLDER... -- COMMAND...: mounts an empty tmpfs over each folder, then runs the command.
file(WRITE "${work}/hide.sh" [=[
while [ "$1" != -- ]; do
  mount -t tmpfs tmpfs "$1" || exit 1
  shift
done
shift
exec "$@"
]=])
find_program(unshare unshare)
set(can_hide OFF)
is_inside("${work}" "${SOURCE_DIR}" work_in_source)
is_inside("${work}" "${BUILD_DIR}" work_in_build)
if(unshare AND NOT work_in_source AND NOT work_in_build)
  execute_process(COMMAND ${unshare} --user --map-root-user --mount sh "${work}/hide.sh" ${hide}
    -- true RESULT_VARIABLE probe OUTPUT_QUIET ERROR_QUIET)
  if(probe EQUAL 0)
    set(can_hide ON)
  endif()
endif()
if(can_hide)
  run(${unshare} --user --map-root-user --mount sh "${work}/hide.sh" ${hide} -- ${steps}
    "-DHIDDEN=${hidden}" -P "${work}/consumer/consumer_steps.cmake")
  set(how "with the source and build trees hidden")
else()
  run(${steps} -P "${work}/consumer/consumer_steps.cmake")
  set(how "(the trees stay visible: no user namespaces, or the scratch folder is inside them)")
endif()
message(STATUS "${last_output}")
message(STATUS "consumer project built and run against the installed package ${how}")
file(REMOVE_RECURSE "${work}")
