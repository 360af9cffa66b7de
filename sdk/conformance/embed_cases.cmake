# Writes OUTPUT, a C++ source holding every case file given in FILES (a
# ;-list) as a string, so the kit carries its cases wherever it is installed.
# Run with cmake -DOUTPUT=... -DFILES=... -P embed_cases.cmake.
set(_body "// Generated from sdk/conformance/cases by embed_cases.cmake; edit the .json files.\n#include \"case_file.hpp\"\n\nnamespace bp::conformance::detail {\n\nconst std::vector<embedded_case_file>& embedded_case_files() {\n  static const std::vector<embedded_case_file> files = {\n")
foreach(_file IN LISTS FILES)
  get_filename_component(_name ${_file} NAME)
  file(READ ${_file} _text)
  string(FIND "${_text}" ")bpcases\"" _clash)
  if(NOT _clash EQUAL -1)
    message(FATAL_ERROR "${_file} contains the raw-string delimiter )bpcases\"")
  endif()
  string(APPEND _body "      {\"${_name}\", R\"bpcases(${_text})bpcases\"},\n")
endforeach()
string(APPEND _body "  };\n  return files;\n}\n\n}  // namespace bp::conformance::detail\n")
file(WRITE ${OUTPUT}.tmp "${_body}")
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
