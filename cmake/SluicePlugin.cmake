# sluice_add_plugin(<name> SOURCES <files...> [LIBRARIES <targets...>] [OUTPUT_DIRECTORY <dir>]
#                   [NO_INSTALL] [ALLOW_UNDEFINED])
#
# A sluice plugin (hooks, dataset types, codecs, runners, or a project's pipelines): a MODULE
# library <name>.so that links sluice::core, built with hidden visibility, every symbol resolved
# at link time (-z defs, unless ALLOW_UNDEFINED, only for tests of load failures) and no GNU
# unique symbols, so that it can unload.
#
# It is written to OUTPUT_DIRECTORY, by default ${SLUICE_PLUGIN_OUTPUT_DIRECTORY} when set, else
# <build>/plugins: point SLUICE_PLUGIN_PATH at that folder to load it by its bare name. Unless
# NO_INSTALL, `cmake --install` puts it in <libdir>/sluice/plugins of the install prefix; installed
# in sluice's own prefix, `sluice` finds it by name without SLUICE_PLUGIN_PATH.
#
# Installed with sluice (find_package(sluice) includes it) and used by sluice's own build.
include_guard(GLOBAL)
include(GNUInstallDirs)

function(sluice_add_plugin name)
  cmake_parse_arguments(ARG "NO_INSTALL;ALLOW_UNDEFINED" "OUTPUT_DIRECTORY" "SOURCES;LIBRARIES"
    ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "sluice_add_plugin(${name}): SOURCES is required")
  endif()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "sluice_add_plugin(${name}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_OUTPUT_DIRECTORY)
    if(SLUICE_PLUGIN_OUTPUT_DIRECTORY)
      set(ARG_OUTPUT_DIRECTORY ${SLUICE_PLUGIN_OUTPUT_DIRECTORY})
    else()
      set(ARG_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/plugins)
    endif()
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES PREFIX "" OUTPUT_NAME ${name}
    LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY}
    CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON
    INSTALL_RPATH "$ORIGIN/../..")
  target_link_libraries(${name} PRIVATE sluice::core ${ARG_LIBRARIES})
  if(TARGET sluice_build_flags)  # sluice's own build: its warnings and sanitizers
    target_link_libraries(${name} PRIVATE sluice_build_flags)
  endif()
  # libstdc++ headers emit STB_GNU_UNIQUE symbols (e.g. std::to_string's digit table), and
  # glibc never unloads a library that has one; plugins must unload once nothing uses them.
  target_compile_options(${name} PRIVATE -fno-gnu-unique)
  if(NOT ARG_ALLOW_UNDEFINED)
    target_link_options(${name} PRIVATE -Wl,-z,defs)
  endif()
  if(NOT ARG_NO_INSTALL)
    install(TARGETS ${name} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/sluice/plugins)
    set_property(GLOBAL APPEND PROPERTY SLUICE_INSTALLED_PLUGINS ${name})
  endif()
endfunction()
