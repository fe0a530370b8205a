# fuse_add_plugin(NAME <name> SOURCES <src>... MANIFEST <fm-plugin.json>
#                 [LINK_LIBRARIES <lib>...] [OUTPUT_DIRECTORY <dir>] [INSTALL_DESTINATION <dir>] [NO_INSTALL])
#
# Builds a FuseMedML++ plugin package: the library lib<name>.so next to its built manifest fm-plugin.json.
# - symbols are hidden and a version script exports fm_plugin_entry_v1 alone; after the build the library's
#   dynamic symbol table is checked for exactly that export;
# - the built manifest is the source manifest plus a "libraries" entry with the file name and its sha256;
# - the library is linked with its install RPATH, so installing it does not change its bytes (and its hash).
# Used in-tree and, through find_package(FuseSDK), by third parties.

set(_FUSE_ADD_PLUGIN_DIR "${CMAKE_CURRENT_LIST_DIR}")

# "linux-x86_64": the platform key of a manifest's library entry; the host computes it the same way.
function(_fuse_plugin_platform out)
  string(TOLOWER "${CMAKE_SYSTEM_NAME}-${CMAKE_SYSTEM_PROCESSOR}" platform)
  set(${out} "${platform}" PARENT_SCOPE)
endfunction()

function(fuse_add_plugin)
  cmake_parse_arguments(ARG "NO_INSTALL" "NAME;MANIFEST;OUTPUT_DIRECTORY;INSTALL_DESTINATION" "SOURCES;LINK_LIBRARIES"
                        ${ARGN})
  if(NOT ARG_NAME OR NOT ARG_SOURCES OR NOT ARG_MANIFEST)
    message(FATAL_ERROR "fuse_add_plugin: NAME, SOURCES and MANIFEST are required")
  endif()
  get_filename_component(manifest "${ARG_MANIFEST}" ABSOLUTE)
  if(NOT EXISTS "${manifest}")
    message(FATAL_ERROR "fuse_add_plugin(${ARG_NAME}): manifest '${manifest}' does not exist")
  endif()
  if(ARG_OUTPUT_DIRECTORY)
    set(out_dir "${ARG_OUTPUT_DIRECTORY}")
  elseif(DEFINED FUSE_PLUGIN_OUTPUT_ROOT)
    set(out_dir "${FUSE_PLUGIN_OUTPUT_ROOT}/${ARG_NAME}")
  else()
    set(out_dir "${CMAKE_BINARY_DIR}/fuse-plugins/${ARG_NAME}")
  endif()
  if(ARG_INSTALL_DESTINATION)
    set(install_dir "${ARG_INSTALL_DESTINATION}")
  elseif(DEFINED FUSE_PLUGIN_INSTALL_ROOT)
    set(install_dir "${FUSE_PLUGIN_INSTALL_ROOT}/${ARG_NAME}")
  else()
    set(install_dir "lib/fuse/plugins/${ARG_NAME}")
  endif()

  add_library(${ARG_NAME} MODULE ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE FuseSDK::sdk ${ARG_LINK_LIBRARIES})
  set_target_properties(${ARG_NAME} PROPERTIES
    PREFIX "lib"
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    # A generator expression keeps multi-config generators from adding a per-configuration folder.
    LIBRARY_OUTPUT_DIRECTORY "$<1:${out_dir}>"
    BUILD_WITH_INSTALL_RPATH ON
    INSTALL_RPATH "$ORIGIN"
    INSTALL_RPATH_USE_LINK_PATH ON)
  if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
    set(map "${CMAKE_CURRENT_BINARY_DIR}/${ARG_NAME}.exports.map")
    file(WRITE "${map}" "{ global: fm_plugin_entry_v1; local: *; };\n")
    # -z defs: a plugin resolves everything at link time (it reaches the host only through fm_api_v1).
    target_link_options(${ARG_NAME} PRIVATE "LINKER:--version-script=${map}" "LINKER:-z,defs")
    set_property(TARGET ${ARG_NAME} APPEND PROPERTY LINK_DEPENDS "${map}")
  endif()

  _fuse_plugin_platform(platform)
  set(built_manifest "${out_dir}/fm-plugin.json")
  add_custom_command(
    OUTPUT "${built_manifest}"
    COMMAND "${CMAKE_COMMAND}" "-DLIBRARY=$<TARGET_FILE:${ARG_NAME}>" "-DMANIFEST_IN=${manifest}"
            "-DMANIFEST_OUT=${built_manifest}" "-DPLATFORM=${platform}" "-DNM=${CMAKE_NM}"
            -P "${_FUSE_ADD_PLUGIN_DIR}/FusePluginFinalize.cmake"
    DEPENDS ${ARG_NAME} "${manifest}" "${_FUSE_ADD_PLUGIN_DIR}/FusePluginFinalize.cmake"
    COMMENT "Checking exports and writing the manifest of plugin ${ARG_NAME}"
    VERBATIM)
  add_custom_target(${ARG_NAME}_manifest ALL DEPENDS "${built_manifest}")

  if(NOT ARG_NO_INSTALL)
    install(TARGETS ${ARG_NAME} LIBRARY DESTINATION "${install_dir}" COMPONENT plugins)
    install(FILES "${built_manifest}" DESTINATION "${install_dir}" COMPONENT plugins)
  endif()
endfunction()
