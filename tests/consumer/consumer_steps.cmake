# The steps of the consumer test (run_consumer_test.cmake) that use the installed prefix only:
# configure and build this folder against it, then run the embedding program, `sluice run` and
# `sluice bench` on the project in project/, with its plugins in the build folder, then installed.
#
# Arguments: -DWORK_DIR=... (holds consumer/, a copy of this folder) -DPREFIX=... -DBUILD_TYPE=...
# [-DHIDDEN=<folders hidden from these steps, ':'-separated>]
cmake_minimum_required(VERSION 3.25)

function(run)
  execute_process(COMMAND ${ARGN} WORKING_DIRECTORY "${WORK_DIR}" RESULT_VARIABLE result
    OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "failed (${result}): ${ARGN}\n${out}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
  string(APPEND summary "$ ${ARGN}\n${out}\n")
  set(summary "${summary}" PARENT_SCOPE)
endfunction()

function(expect what pattern)
  string(FIND "${last_output}" "${pattern}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${what}: expected '${pattern}' in:\n${last_output}")
  endif()
endfunction()

function(expect_file path content)
  if(NOT EXISTS "${path}")
    message(FATAL_ERROR "expected ${path} to exist")
  endif()
  file(READ "${path}" actual)
  if(NOT actual STREQUAL content)
    message(FATAL_ERROR "${path}: expected '${content}', got '${actual}'")
  endif()
endfunction()

string(REPLACE ":" ";" hidden "${HIDDEN}")
foreach(folder IN LISTS hidden)
  file(GLOB visible "${folder}/*")
  if(visible)
    message(FATAL_ERROR "${folder} should be hidden from these steps")
  endif()
endforeach()
unset(ENV{SLUICE_SOURCE_DIR})
set(consumer "${WORK_DIR}/consumer")
set(build "${WORK_DIR}/build")
set(project "${consumer}/project")
set(sluice "${PREFIX}/bin/sluice")

# Boost and yaml-cpp stay inside sluice's libraries: the package must not need them.
run(${CMAKE_COMMAND} -S "${consumer}" -B "${build}" -G Ninja --no-warn-unused-cli
  "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}"
  "-DCMAKE_PREFIX_PATH=${PREFIX}" -DCMAKE_DISABLE_FIND_PACKAGE_Boost=ON
  -DCMAKE_DISABLE_FIND_PACKAGE_yaml-cpp=ON)
run(${CMAKE_COMMAND} --build "${build}")

# An embedding program linking the installed tee.
file(MAKE_DIRECTORY "${WORK_DIR}/embedded")
run("${build}/embedded" "${WORK_DIR}/embedded")
expect("the embedding program" "answer=42 persisted=21 tee_writes=1")

# The project: its library and its hook plugin are found on SLUICE_PLUGIN_PATH, the tee in the
# installed plugin folder.
set(ENV{SLUICE_PLUGIN_PATH} "${build}/plugins")
run("${sluice}" run --project "${project}")
expect("sluice run" "run_summary [consumer]: saved summary, word_lengths")
expect_file("${project}/data/08_reporting/summary.txt" "words=9 long_words=3")
if(NOT EXISTS "${project}/data/02_intermediate/word_lengths.bin")
  message(FATAL_ERROR "the tee did not persist word_lengths:\n${last_output}")
endif()

# Installed into sluice's prefix, the project's plugins are found without SLUICE_PLUGIN_PATH.
unset(ENV{SLUICE_PLUGIN_PATH})
run(${CMAKE_COMMAND} --install "${build}" --prefix "${PREFIX}")
file(REMOVE "${project}/data/08_reporting/summary.txt")
run("${sluice}" run --project "${project}")
expect("sluice run (plugins installed)" "run_summary [consumer]: saved summary, word_lengths")
expect_file("${project}/data/08_reporting/summary.txt" "words=9 long_words=3")

run("${sluice}" bench --scenario project --project "${project}" --strategies sequential,tee
  --repeat 1)
expect("sluice bench --scenario project" "project 'wordcount'")
expect("sluice bench --scenario project" "tee")

# The default scenario (the iris example) and the storage profiles come from the prefix.
file(REAL_PATH "${PREFIX}" real_prefix)
run("${sluice}" bench --storage s3 --strategies sequential --repeat 1)
expect("sluice bench (iris)" "${real_prefix}/share/sluice/examples/iris")
expect("sluice bench (iris)" "profile 's3'")

message("${summary}")
