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
