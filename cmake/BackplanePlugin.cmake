# backplane_add_plugin(<name> SOURCES <src>... [LINK <libs>...] [LINK_OPTIONS <opts>...]
#                      [VERSION <x.y.z>] [NODELETE] [OUTPUT_DIR <dir>] [NO_INSTALL])
#
#   VERSION       the plugin's version (default: the project's, PROJECT_VERSION); compiled in as
#                 BACKPLANE_PLUGIN_VERSION, which backplane/sdk/table.hpp puts in the table.
#                 BACKPLANE_PLUGIN_NAME="<name>" is compiled in too: the table checks its name against it.
#   NODELETE      link with -z nodelete: the library stays mapped after the last runtime unloads it.
#                 Needed when the plugin (or a library it links) starts threads that outlive a call,
#                 e.g. an OpenMP or TBB thread pool: unmapping code those threads still run crashes
#                 the process at the next runtime or at exit (docs/plugin-authoring.md, "Lifecycle").
#   LINK_OPTIONS  extra linker options (target_link_options), e.g. LINKER:-rpath,<dir>.
#
# Makes a MODULE library named libbackplane-<name>.so with hidden visibility
# that exports exactly one symbol, bp_plugin_get_api (enforced by a version
# script). Plugins include only the ABI header and the SDK helpers; they never
# link the core library (the core reaches them through the entry symbol and
# hands them its host table).
#
# Works in two places:
#   - inside the Backplane tree (plugins/*): output in <build>/lib/backplane/plugins,
#     installed to <libdir>/backplane/plugins next to the core;
#   - in a third-party project after find_package(Backplane): this file is part
#     of the installed CMake package. Output goes to CMAKE_LIBRARY_OUTPUT_DIRECTORY
#     (or the current binary folder); `cmake --install` puts the plugin in
#     <prefix>/<libdir>/backplane/plugins, the folder an installed core searches
#     when it lives in the same prefix (otherwise use BACKPLANE_PLUGIN_PATH).
#     Set BACKPLANE_PLUGIN_INSTALL_DIR to install elsewhere.
set(_BACKPLANE_PLUGIN_HELPER_DIR ${CMAKE_CURRENT_LIST_DIR})

function(backplane_add_plugin name)
  cmake_parse_arguments(ARG "NO_INSTALL;NODELETE" "OUTPUT_DIR;VERSION" "SOURCES;LINK;LINK_OPTIONS" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "backplane_add_plugin(${name}): no SOURCES given")
  endif()
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
  else()
    message(FATAL_ERROR "backplane_add_plugin(${name}): target Backplane::sdk is missing; call find_package(Backplane) first")
  endif()
  if(ARG_LINK)
    target_link_libraries(${target} PRIVATE ${ARG_LINK})
  endif()
  if(NOT ARG_VERSION)
    set(ARG_VERSION "${PROJECT_VERSION}")
  endif()
  target_compile_definitions(${target} PRIVATE BACKPLANE_PLUGIN_NAME="${name}")
  if(ARG_VERSION)
    target_compile_definitions(${target} PRIVATE BACKPLANE_PLUGIN_VERSION="${ARG_VERSION}")
  endif()
  if(ARG_NODELETE)
    target_link_options(${target} PRIVATE "LINKER:-z,nodelete")
  endif()
  if(ARG_LINK_OPTIONS)
    target_link_options(${target} PRIVATE ${ARG_LINK_OPTIONS})
  endif()
  set(script ${CMAKE_CURRENT_BINARY_DIR}/${target}.map)
  file(WRITE ${script} "{ global: bp_plugin_get_api; local: *; };\n")
  target_link_options(${target} PRIVATE "LINKER:--version-script=${script}" "LINKER:--no-undefined")
  if(NOT ARG_NO_INSTALL)
    if(DEFINED BACKPLANE_PLUGIN_INSTALL_DIR)
      set(destination ${BACKPLANE_PLUGIN_INSTALL_DIR})
    else()
      include(GNUInstallDirs)
      set(destination ${CMAKE_INSTALL_LIBDIR}/backplane/plugins)
    endif()
    install(TARGETS ${target} LIBRARY DESTINATION ${destination} COMPONENT plugins)
  endif()
endfunction()
