# Compiles every ```cpp block of README.md, so the examples readers copy keep compiling.
#
# Each block is one translation unit, compiled by itself: it must include the headers and
# declare the names it uses, as a reader's file would. Blocks are compiled to object files
# (-c), not linked: they declare functions the reader writes (`clean`, `make_node_timing`...)
# without defining them. A `#line` directive maps errors to README.md's own lines.
#
# Inputs: README (path), CONFIG (a file written by tests/CMakeLists.txt that sets `compiler`,
# `std_flag`, `include_dirs`, `definitions` and `implicit_dirs`), WORK_DIR (scratch folder).
cmake_minimum_required(VERSION 3.25)
include("${CONFIG}")

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

set(flags ${std_flag})
foreach(dir IN LISTS include_dirs)
  # The compiler's own folders stay out: -I/usr/include breaks libstdc++'s #include_next.
  if(NOT dir IN_LIST implicit_dirs)
    list(APPEND flags "-I${dir}")
  endif()
endforeach()
foreach(definition IN LISTS definitions)
  list(APPEND flags "-D${definition}")
endforeach()

# Read the README without turning its semicolons into list separators: every string below is
# quoted and cut with string(FIND)/string(SUBSTRING) only.
file(READ "${README}" text)
set(opening "\n```cpp\n")
set(closing "\n```")
set(count 0)
set(failed "")
set(rest "${text}")
set(consumed 0)
while(TRUE)
  string(FIND "${rest}" "${opening}" start)
  if(start EQUAL -1)
    break()
  endif()
  string(LENGTH "${opening}" opening_length)
  math(EXPR body_start "${start} + ${opening_length}")
  string(SUBSTRING "${rest}" 0 ${body_start} before)
  string(SUBSTRING "${rest}" ${body_start} -1 rest)
  string(FIND "${rest}" "${closing}" end)
  if(end EQUAL -1)
    message(FATAL_ERROR "${README}: a ```cpp block is never closed")
  endif()
  string(SUBSTRING "${rest}" 0 ${end} body)
  math(EXPR after_body "${end} + 1")
  string(SUBSTRING "${rest}" ${after_body} -1 rest)

  # The block's first line: newlines consumed so far, plus one.
  string(REGEX MATCHALL "\n" newlines "${before}")
  list(LENGTH newlines before_lines)
  math(EXPR first_line "${consumed} + ${before_lines} + 1")
  string(REGEX MATCHALL "\n" newlines "${body}\n")
  list(LENGTH newlines body_lines)
  math(EXPR consumed "${first_line} + ${body_lines} - 1")

  math(EXPR count "${count} + 1")
  set(source "${WORK_DIR}/snippet_${count}.cpp")
  file(WRITE "${source}" "#line ${first_line} \"${README}\"\n${body}\n")
  execute_process(
    COMMAND "${compiler}" ${flags} -c "${source}" -o "${WORK_DIR}/snippet_${count}.o"
    RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(NOT result EQUAL 0)
    list(APPEND failed "README.md:${first_line}")
    message("README.md:${first_line}: this ```cpp block does not compile:\n${output}")
  else()
    message(STATUS "README.md:${first_line}: compiles")
  endif()
endwhile()

if(count EQUAL 0)
  message(FATAL_ERROR "${README} has no ```cpp block; the extraction is broken")
endif()
if(failed)
  list(JOIN failed ", " failed_list)
  message(FATAL_ERROR "README C++ blocks that do not compile: ${failed_list}; fix the README "
    "(each block must compile on its own: include what it uses)")
endif()
message(STATUS "all ${count} ```cpp blocks of README.md compile")
