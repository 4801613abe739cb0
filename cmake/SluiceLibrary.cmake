# sluice_add_library(<name> EXPORT_NAME <export> SOURCES <files...> [PUBLIC_DEPS ...] [PRIVATE_DEPS ...])
#
# A shared sluice library: public headers in include/, hidden visibility (set globally),
# every symbol resolved at link time (-z defs), versioned, exported as sluice::<export>.
function(sluice_add_library name)
  cmake_parse_arguments(ARG "" "EXPORT_NAME" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} SHARED ${ARG_SOURCES})
  add_library(sluice::${ARG_EXPORT_NAME} ALIAS ${name})
  set_target_properties(${name} PROPERTIES EXPORT_NAME ${ARG_EXPORT_NAME}
    VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR})
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_compile_features(${name} PUBLIC cxx_std_20)
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC_DEPS}
    PRIVATE ${ARG_PRIVATE_DEPS} $<BUILD_INTERFACE:sluice_build_flags>)
  target_link_options(${name} PRIVATE -Wl,-z,defs)
endfunction()

# sluice_add_plugin(<name> SOURCES <files...> [LIBRARIES ...] [NO_INSTALL] [ALLOW_UNDEFINED])
#
# A plugin: a MODULE library named <name>.so in lib/sluice/plugins/ (build tree and install),
# where PluginLoader finds it by its bare name. Hidden visibility; -z defs unless
# ALLOW_UNDEFINED (only for tests of load failures); no GNU unique symbols, so it can unload.
function(sluice_add_plugin name)
  cmake_parse_arguments(ARG "NO_INSTALL;ALLOW_UNDEFINED" "" "SOURCES;LIBRARIES" ${ARGN})
  add_library(${name} MODULE ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES PREFIX "" OUTPUT_NAME ${name}
    LIBRARY_OUTPUT_DIRECTORY ${SLUICE_PLUGIN_OUTPUT_DIRECTORY}
    INSTALL_RPATH "$ORIGIN/../..")
  target_link_libraries(${name} PRIVATE sluice_core ${ARG_LIBRARIES} sluice_build_flags)
  # libstdc++ headers emit STB_GNU_UNIQUE symbols (e.g. std::to_string's digit table), and
  # glibc never unloads a library that has one; plugins must unload once nothing uses them.
  target_compile_options(${name} PRIVATE -fno-gnu-unique)
  if(NOT ARG_ALLOW_UNDEFINED)
    target_link_options(${name} PRIVATE -Wl,-z,defs)
  endif()
  if(NOT ARG_NO_INSTALL)
    install(TARGETS ${name} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/sluice/plugins)
  endif()
endfunction()
