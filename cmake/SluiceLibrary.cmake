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

# sluice_add_hook(<name> [SOURCES <files...>] [PLUGIN_SOURCES <files...>])
#
# A hook of hooks/<name>: with SOURCES, the hook as a static library sluice_<name>
# (position-independent: its plugin links it), linked by the plugin, the tests and programs that
# embed sluice; installed with its headers (include/), exported as sluice::<name>. And the hook
# as the plugin <name> (sluice_add_plugin) built from PLUGIN_SOURCES, by default src/plugin.cpp,
# linking the library. A hook depends on core only (scripts/check-layers.sh checks it): the
# library links sluice_core and nothing else.
function(sluice_add_hook name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PLUGIN_SOURCES" ${ARGN})
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "sluice_add_hook(${name}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_SOURCES AND NOT ARG_PLUGIN_SOURCES)
    message(FATAL_ERROR "sluice_add_hook(${name}): SOURCES or PLUGIN_SOURCES is required")
  endif()
  if(NOT ARG_PLUGIN_SOURCES)
    set(ARG_PLUGIN_SOURCES src/plugin.cpp)
  endif()
  if(NOT ARG_SOURCES)
    sluice_add_plugin(${name} SOURCES ${ARG_PLUGIN_SOURCES})
    return()
  endif()
  set(library sluice_${name})
  add_library(${library} STATIC ${ARG_SOURCES})
  add_library(sluice::${name} ALIAS ${library})
  set_target_properties(${library} PROPERTIES EXPORT_NAME ${name} POSITION_INDEPENDENT_CODE ON)
  target_include_directories(${library} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_link_libraries(${library} PUBLIC sluice_core
    PRIVATE $<BUILD_INTERFACE:sluice_build_flags>)
  install(TARGETS ${library} EXPORT sluiceTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  sluice_add_plugin(${name} SOURCES ${ARG_PLUGIN_SOURCES} LIBRARIES ${library})
endfunction()

# sluice_add_data(DESTINATION <folder> FILES <files...>)
#
# Files `sluice` reads at run time (the framework's conf/, the iris example), given relative to
# the current source folder: copied to <folder> of the build tree's data folder, and installed
# to <folder> of <datadir>/sluice, keeping their relative paths. `sluice` finds the data folder
# relative to its executable, in the build tree as once installed (tools/src/data_folder.hpp).
function(sluice_add_data)
  cmake_parse_arguments(ARG "" "DESTINATION" "FILES" ${ARGN})
  foreach(file IN LISTS ARG_FILES)
    configure_file(${file} ${SLUICE_BUILD_DATA_DIR}/${ARG_DESTINATION}/${file} COPYONLY)
    cmake_path(GET file PARENT_PATH folder)
    install(FILES ${file} DESTINATION ${SLUICE_DATA_DIR}/${ARG_DESTINATION}/${folder})
  endforeach()
endfunction()

include(${CMAKE_CURRENT_LIST_DIR}/SluicePlugin.cmake)
