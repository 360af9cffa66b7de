# BackplaneInstall.cmake — the installed SDK: CMake package, pkg-config file,
# and the `backplane` tool. Included at the end of the top-level CMakeLists.txt
# (after every target exists).
#
#   cmake --install <build> --prefix <p> lays out
#     <p>/include/backplane/{abi.h,runtime.h,version.h,backplane.hpp,dlpack.hpp,sdk/*.hpp,conformance/*.hpp}
#     <p>/lib/libbackplane.so*            (finds plugins in <p>/lib/backplane/plugins)
#     <p>/lib/backplane/plugins/*.so      (bundled plugins)
#     <p>/bin/backplane
#     <p>/lib/cmake/Backplane/{BackplaneConfig,BackplaneConfigVersion,BackplaneTargets*,BackplanePlugin}.cmake
#     <p>/lib/pkgconfig/backplane.pc
#     <p>/share/backplane/examples/template-plugin/   (the plugin template, docs/plugin-authoring.md §2)
#   and, with the apps (BACKPLANE_BUILD_APPS), the nn library (component nn, target Backplane::nn):
#     <p>/include/backplane/nn/*.hpp, <p>/lib/libbackplane_nn.so*, <p>/lib/pkgconfig/backplane-nn.pc
include(CMakePackageConfigHelpers)

set(BACKPLANE_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Backplane)

# The ABI version has one source, abi.h; the release version has one, project().
file(STRINGS ${PROJECT_SOURCE_DIR}/core/include/backplane/abi.h _bp_abi_lines REGEX "^#define BP_ABI_VERSION_(MAJOR|MINOR) ")
string(REGEX REPLACE ".*MAJOR ([0-9]+).*" "\\1" BACKPLANE_ABI_MAJOR "${_bp_abi_lines}")
string(REGEX REPLACE ".*MINOR ([0-9]+).*" "\\1" BACKPLANE_ABI_MINOR "${_bp_abi_lines}")

install(EXPORT BackplaneTargets
  NAMESPACE Backplane::
  DESTINATION ${BACKPLANE_CMAKE_INSTALL_DIR}
  COMPONENT devel)

configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/BackplaneConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/BackplaneConfig.cmake
  INSTALL_DESTINATION ${BACKPLANE_CMAKE_INSTALL_DIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR BACKPLANE_PLUGIN_INSTALL_DIR)
# 0.x: same major is required (SameMajorVersion); plugins additionally negotiate the ABI at load time.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/cmake/BackplaneConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
install(FILES
    ${PROJECT_BINARY_DIR}/cmake/BackplaneConfig.cmake
    ${PROJECT_BINARY_DIR}/cmake/BackplaneConfigVersion.cmake
    ${PROJECT_SOURCE_DIR}/cmake/BackplanePlugin.cmake
  DESTINATION ${BACKPLANE_CMAKE_INSTALL_DIR}
  COMPONENT devel)

# The template a plugin author copies: the installed SDK is enough to start
# and build a plugin (docs/plugin-authoring.md), no source tree needed.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/sdk/examples/template-plugin
  DESTINATION ${CMAKE_INSTALL_DATADIR}/backplane/examples
  COMPONENT devel)

# pkg-config: relocatable (prefix derived from ${pcfiledir}).
file(RELATIVE_PATH BACKPLANE_PC_PREFIX_FROM_PCDIR
  /backplane-prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /backplane-prefix)
string(REGEX REPLACE "/$" "" BACKPLANE_PC_PREFIX_FROM_PCDIR "${BACKPLANE_PC_PREFIX_FROM_PCDIR}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/backplane.pc.in ${PROJECT_BINARY_DIR}/backplane.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/backplane.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT devel)
if(TARGET backplane_nn)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/backplane-nn.pc.in ${PROJECT_BINARY_DIR}/backplane-nn.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/backplane-nn.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT devel)
endif()

# The `backplane` tool installs itself (apps/backplane/CMakeLists.txt). Its
# conformance subcommand (apps/backplane/conformance_command.cpp, picked up by
# that folder's source glob) needs the kit library.
if(TARGET backplane_cli AND TARGET backplane_conformance)
  target_link_libraries(backplane_cli PRIVATE backplane_conformance)
endif()
