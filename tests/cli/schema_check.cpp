// schema_check.cpp — see schema_check.hpp.
#include "schema_check.hpp"

#include <fstream>
#include <stdexcept>

namespace cli_test {

namespace {

using json = nlohmann::json;

bool has_type(const json& value, const std::string& type) {
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "string") return value.is_string();
  if (type == "integer") return value.is_number_integer();
  if (type == "number") return value.is_number();
  if (type == "boolean") return value.is_boolean();
  if (type == "null") return value.is_null();
  throw std::runtime_error("schema uses unsupported type '" + type + "'");
}

const json& resolve(const json& schema, const json& root) {
  if (!schema.contains("$ref")) return schema;
  const std::string ref = schema["$ref"];
  const std::string prefix = "#/$defs/";
  if (ref.rfind(prefix, 0) != 0) throw std::runtime_error("unsupported $ref " + ref);
  return root.at("$defs").at(ref.substr(prefix.size()));
}

void check(const json& value, const json& schema_in, const json& root, const std::string& where,
           std::vector<std::string>& errors) {
  const json& schema = resolve(schema_in, root);
  if (schema.contains("type")) {
    bool ok = false;
    std::string wanted;
    if (schema["type"].is_array()) {
      for (const json& t : schema["type"]) {
        ok = ok || has_type(value, t.get<std::string>());
        wanted += (wanted.empty() ? "" : "|") + t.get<std::string>();
      }
    } else {
      wanted = schema["type"].get<std::string>();
      ok = has_type(value, wanted);
    }
    if (!ok) {
      errors.push_back(where + ": expected " + wanted + ", got " + value.dump());
      return;
    }
  }
  if (schema.contains("enum")) {
    bool found = false;
    for (const json& allowed : schema["enum"]) found = found || allowed == value;
    if (!found) errors.push_back(where + ": " + value.dump() + " is not one of " + schema["enum"].dump());
  }
  if (schema.contains("const") && schema["const"] != value)
    errors.push_back(where + ": expected " + schema["const"].dump() + ", got " + value.dump());
  if (schema.contains("minimum") && value.is_number() && value.get<double>() < schema["minimum"].get<double>())
    errors.push_back(where + ": " + value.dump() + " is below the minimum " + schema["minimum"].dump());
  if (value.is_object()) {
    for (const json& key : schema.value("required", json::array()))
      if (!value.contains(key.get<std::string>())) errors.push_back(where + ": missing required key '" + key.get<std::string>() + "'");
    if (schema.contains("properties"))
      for (auto it = schema["properties"].begin(); it != schema["properties"].end(); ++it)
        if (value.contains(it.key())) check(value[it.key()], *it, root, where + "/" + it.key(), errors);
  }
  if (value.is_array()) {
    if (schema.contains("minItems") && value.size() < schema["minItems"].get<size_t>())
      errors.push_back(where + ": fewer than " + schema["minItems"].dump() + " items");
    if (schema.contains("items"))
      for (size_t i = 0; i < value.size(); ++i)
        check(value[i], schema["items"], root, where + "/" + std::to_string(i), errors);
  }
}

}  // namespace

std::vector<std::string> schema_violations(const json& instance, const json& schema) {
  std::vector<std::string> errors;
  check(instance, schema, schema, "", errors);
  return errors;
}

json load_doctor_schema() {
  std::ifstream file(BACKPLANE_DOCTOR_SCHEMA);
  if (!file) throw std::runtime_error(std::string("cannot open ") + BACKPLANE_DOCTOR_SCHEMA);
  return json::parse(file);
}

}  // namespace cli_test
