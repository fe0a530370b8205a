# Run after a plugin library is linked (cmake -P): checks that fm_plugin_entry_v1 is its only export and writes
# the built manifest: the source manifest with "libraries" set to this library's file name and sha256.
# Inputs: LIBRARY, MANIFEST_IN, MANIFEST_OUT, PLATFORM, NM.
foreach(var LIBRARY MANIFEST_IN MANIFEST_OUT PLATFORM)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "FusePluginFinalize.cmake: ${var} is not set")
  endif()
endforeach()
get_filename_component(lib_name "${LIBRARY}" NAME)

if(NM)
  execute_process(COMMAND "${NM}" -D --defined-only "${LIBRARY}" OUTPUT_VARIABLE symbols RESULT_VARIABLE rc
                  ERROR_VARIABLE nm_error)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "plugin ${lib_name}: '${NM} -D' failed: ${nm_error}")
  endif()
  string(REPLACE "\n" ";" lines "${symbols}")
  set(entry_found FALSE)
  set(others "")
  foreach(line IN LISTS lines)
    # "<address> <type> <name>"; absolute symbols (type A) are linker version nodes, not code or data.
    if(line MATCHES "^[0-9a-fA-F]+ ([A-Za-z]) (.+)$")
      set(type "${CMAKE_MATCH_1}")
      set(name "${CMAKE_MATCH_2}")
      if(name STREQUAL "fm_plugin_entry_v1")
        set(entry_found TRUE)
      elseif(NOT type STREQUAL "A")
        list(APPEND others "${name}")
      endif()
    endif()
  endforeach()
  if(NOT entry_found)
    message(FATAL_ERROR "plugin ${lib_name} does not export fm_plugin_entry_v1: define it with FUSE_PLUGIN(...) "
                        "(C++) or FM_PLUGIN_EXPORT (C)")
  endif()
  if(others)
    list(JOIN others ", " others_text)
    message(FATAL_ERROR "plugin ${lib_name} exports symbols besides fm_plugin_entry_v1: ${others_text}; "
                        "build it with fuse_add_plugin() (hidden visibility and an export map)")
  endif()
endif()

file(READ "${MANIFEST_IN}" manifest)
string(JSON id ERROR_VARIABLE json_error GET "${manifest}" id)
if(json_error)
  message(FATAL_ERROR "${MANIFEST_IN}: not a valid plugin manifest: ${json_error}")
endif()
string(JSON existing ERROR_VARIABLE no_libraries GET "${manifest}" libraries)
if(NOT no_libraries)
  message(FATAL_ERROR "${MANIFEST_IN}: remove 'libraries' from the source manifest; the build writes it")
endif()
file(SHA256 "${LIBRARY}" hash)
# Insert the entry before the closing brace, keeping the author's text (and field order) as written.
string(REGEX REPLACE "[ \t\r\n]*}[ \t\r\n]*$" "" manifest "${manifest}")
string(APPEND manifest ",\n  \"libraries\": [{\"platform\": \"${PLATFORM}\", \"path\": \"${lib_name}\", "
       "\"sha256\": \"${hash}\"}]\n}")
# Write next to the target and rename, so a reader never sees half a manifest.
file(WRITE "${MANIFEST_OUT}.tmp" "${manifest}\n")
file(RENAME "${MANIFEST_OUT}.tmp" "${MANIFEST_OUT}")
