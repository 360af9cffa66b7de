# backplane_add_plugin(<name> SOURCES <src>... [LINK <libs>...] [OUTPUT_DIR <dir>] [NO_INSTALL])
#
# Makes a MODULE library named backplane-<name>.so with hidden visibility that
# exports exactly one symbol, bp_plugin_get_api (enforced by a version script).
# Plugins include only the ABI header and the SDK helpers; they never link the
# core library (the core reaches them through the entry symbol and hands them
# its host table).
set(_BACKPLANE_PLUGIN_HELPER_DIR ${CMAKE_CURRENT_LIST_DIR})

function(backplane_add_plugin name)
  cmake_parse_arguments(ARG "NO_INSTALL" "OUTPUT_DIR" "SOURCES;LINK" ${ARGN})
  set(target backplane-plugin-${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME backplane-${name}
    PREFIX lib
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    CUDA_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(ARG_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIR})
  elseif(DEFINED BACKPLANE_PLUGIN_BUILD_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${BACKPLANE_PLUGIN_BUILD_DIR})
  endif()
  if(TARGET Backplane::sdk)
    target_link_libraries(${target} PRIVATE Backplane::sdk)
  endif()
  if(ARG_LINK)
    target_link_libraries(${target} PRIVATE ${ARG_LINK})
  endif()
  set(script ${CMAKE_CURRENT_BINARY_DIR}/${target}.map)
  file(WRITE ${script} "{ global: bp_plugin_get_api; local: *; };\n")
  target_link_options(${target} PRIVATE "LINKER:--version-script=${script}" "LINKER:--no-undefined")
  if(NOT ARG_NO_INSTALL AND DEFINED BACKPLANE_PLUGIN_INSTALL_DIR)
    install(TARGETS ${target} LIBRARY DESTINATION ${BACKPLANE_PLUGIN_INSTALL_DIR} COMPONENT plugins)
  endif()
endfunction()
