// case_file.hpp — op cases as data: the JSON case files the kit ships
// (sdk/conformance/cases/*.json, installed under share/backplane/conformance/cases)
// and any file a plugin author adds with --cases. Format: docs/testing.md,
// "Op cases as data".
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "op_cases.hpp"

namespace bp::conformance::detail {

// The cases of one file's text; `origin` names the file in errors. Every case
// is checked against the op contract (shapes, attributes) without data, so a
// wrong shape in a file is an error naming the file and the case, never a
// silently skipped case. Throws std::runtime_error.
std::vector<op_case> parse_case_file(const std::string& text, const std::string& origin);

// The attribute struct of `kind` from its JSON form, and back (for listings).
std::vector<unsigned char> attrs_from_json(bp_op_kind kind, const nlohmann::json& attrs, const std::string& where);
nlohmann::json attrs_to_json(bp_op_kind kind, const std::vector<unsigned char>& attrs);

// A case as one JSON object in the file format (used by --list-cases).
nlohmann::json case_to_json(const op_case& c);

// The files compiled into the kit (generated from sdk/conformance/cases at build time).
struct embedded_case_file {
  const char* name;
  const char* text;
};
const std::vector<embedded_case_file>& embedded_case_files();

}  // namespace bp::conformance::detail
