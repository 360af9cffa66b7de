// schema_check.hpp — a small JSON Schema checker (the subset
// docs/doctor-schema.json uses: $ref to #/$defs, type, required, properties,
// items, enum, const, minimum, minItems), so the test validates the doctor's
// JSON against the published schema itself, without a Python dependency.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cli_test {

// Every violation as "<json pointer>: <problem>"; empty when valid.
std::vector<std::string> schema_violations(const nlohmann::json& instance, const nlohmann::json& schema);

// Loads BACKPLANE_DOCTOR_SCHEMA (docs/doctor-schema.json).
nlohmann::json load_doctor_schema();

}  // namespace cli_test
