# cmake -DREADELF=<readelf> -DPLUGIN=<file> -P check_needed.cmake
# Fails when the plugin has a DT_NEEDED entry on a vendor GPU library.
execute_process(COMMAND ${READELF} -d ${PLUGIN} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "readelf -d ${PLUGIN} failed (${rc})")
endif()
string(REGEX MATCHALL "\\(NEEDED\\)[^\n]*" needed "${out}")
message(STATUS "NEEDED entries of ${PLUGIN}:")
foreach(line IN LISTS needed)
  message(STATUS "  ${line}")
  if(line MATCHES "libcuda|libcudart|libcublas|libcudnn|libnvrtc|libnvJitLink")
    message(FATAL_ERROR "vendor library in NEEDED: ${line} (the plugin must dlopen it instead)")
  endif()
endforeach()
