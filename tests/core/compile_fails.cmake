# Checks that SOURCE compiles with -DSLUICE_SNIPPET_OK and fails without it, with an error that
# contains EXPECT in at most MAX_ERRORS "error:" lines (a rule stated once, not pages of
# template errors).
#
# Inputs: CONFIG (tests/CMakeLists.txt's readme_snippets_config.cmake: `compiler`, `std_flag`,
# `include_dirs`, `definitions`, `implicit_dirs`), SOURCE, EXPECT, MAX_ERRORS.
cmake_minimum_required(VERSION 3.25)
include("${CONFIG}")

set(flags ${std_flag} -fsyntax-only)
foreach(dir IN LISTS include_dirs)
  if(NOT dir IN_LIST implicit_dirs)  # -I/usr/include breaks libstdc++'s #include_next
    list(APPEND flags "-I${dir}")
  endif()
endforeach()
list(TRANSFORM definitions PREPEND "-D")
list(APPEND flags ${definitions})

execute_process(COMMAND "${compiler}" ${flags} -DSLUICE_SNIPPET_OK "${SOURCE}"
  RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${SOURCE} with SLUICE_SNIPPET_OK must compile, and does not:\n${output}")
endif()

execute_process(COMMAND "${compiler}" ${flags} "${SOURCE}"
  RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(result EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiles, but must fail with: ${EXPECT}")
endif()
string(FIND "${output}" "${EXPECT}" found)
if(found EQUAL -1)
  message(FATAL_ERROR "${SOURCE} fails without saying \"${EXPECT}\":\n${output}")
endif()
string(REGEX MATCHALL "error:" errors "${output}")
list(LENGTH errors error_count)
if(error_count GREATER MAX_ERRORS)
  message(FATAL_ERROR
    "${SOURCE} fails with ${error_count} errors, more than ${MAX_ERRORS}:\n${output}")
endif()
message(STATUS "${SOURCE} fails as expected, in ${error_count} error(s):\n${output}")
