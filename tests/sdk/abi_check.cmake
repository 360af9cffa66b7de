# libabigail ABI check (included by tests/sdk/CMakeLists.txt). See abi_check.sh and docs/abi.md.
find_program(BACKPLANE_ABIDW abidw)
find_program(BACKPLANE_ABIDIFF abidiff)
find_program(BACKPLANE_OBJCOPY objcopy)

# The public types, with DWARF, whatever the build type.
add_library(sdk_abi_types_probe SHARED abi_types_probe.c)
target_include_directories(sdk_abi_types_probe PRIVATE ${PROJECT_SOURCE_DIR}/core/include)
target_compile_options(sdk_abi_types_probe PRIVATE -g -O0)
set_target_properties(sdk_abi_types_probe PROPERTIES C_VISIBILITY_PRESET hidden
  LIBRARY_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/abi)

set(_abi_args $<TARGET_FILE:backplane> $<TARGET_FILE:sdk_abi_types_probe> ${CMAKE_CURRENT_SOURCE_DIR}/abi-baseline
              ${PROJECT_SOURCE_DIR}/core/include/backplane)
# Regenerate the baseline (only with a version bump and an ABI changelog entry):
#   cmake --build <build> --target backplane-abi-baseline
add_custom_target(backplane-abi-baseline
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/abi_check.sh generate ${_abi_args} ${CMAKE_CURRENT_BINARY_DIR}/abi-generate
  DEPENDS backplane sdk_abi_types_probe
  COMMENT "Rewriting tests/sdk/abi-baseline from the current build"
  VERBATIM)

if(BACKPLANE_ABIDW AND BACKPLANE_ABIDIFF AND BACKPLANE_OBJCOPY)
  add_test(NAME sdk.abidiff
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/abi_check.sh check ${_abi_args} ${CMAKE_CURRENT_BINARY_DIR}/abi-check)
  add_test(NAME sdk.abidiff_detects_break
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/abi_check.sh selftest ${CMAKE_C_COMPILER} ${PROJECT_SOURCE_DIR}
            ${CMAKE_CURRENT_SOURCE_DIR}/abi-baseline ${PROJECT_SOURCE_DIR}/core/include/backplane
            ${CMAKE_CURRENT_BINARY_DIR}/abi-selftest)
else()
  add_test(NAME sdk.abidiff COMMAND ${CMAKE_COMMAND} -E echo
    "SKIP: abidw/abidiff/objcopy not found (Debian: abigail-tools, binutils); the ABI check did not run")
  set_tests_properties(sdk.abidiff PROPERTIES SKIP_REGULAR_EXPRESSION "SKIP:")
endif()
