// op_cases.cpp — the problem set (read from the case files) and its random data.
#include "op_cases.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <stdexcept>

#include "backplane/sdk/tensor_util.hpp"
#include "case_file.hpp"

namespace bp::conformance::detail {
namespace {

std::string upper(std::string s) {
  for (char& ch : s) ch = char(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

bool filter_selects(const std::string& filter, bp_op_kind kind) {
  const std::string name = bp::sdk::op_kind_name(kind), f = upper(filter);
  return name == f || (name.size() > f.size() && name.compare(0, f.size(), f) == 0 && name[f.size()] == '_');
}

void group_by_kind(std::vector<op_case>& cases) {
  std::stable_sort(cases.begin(), cases.end(), [](const op_case& a, const op_case& b) { return a.kind < b.kind; });
}

}  // namespace

bool op_selected(bp_op_kind kind, const std::vector<std::string>& filters) {
  if (filters.empty()) return true;
  for (const std::string& f : filters)
    if (filter_selects(f, kind)) return true;
  return false;
}

void check_op_filters(const std::vector<std::string>& filters) {
  for (const std::string& f : filters) {
    bool any = false;
    for (bp_op_kind k = 1; k < BP_OP_KIND_COUNT_; ++k) any = any || filter_selects(f, k);
    if (any) continue;
    std::string known;
    for (bp_op_kind k = 1; k < BP_OP_KIND_COUNT_; ++k) known += std::string(known.empty() ? "" : ", ") + bp::sdk::op_kind_name(k);
    throw std::invalid_argument("op filter '" + f + "' names no op kind (an op kind or a prefix such as CONV2D: " + known + ")");
  }
}

std::vector<op_case> load_cases(const std::string& suite, const std::vector<std::string>& ops, const std::string& extra_file) {
  std::vector<op_case> out;
  auto take = [&](std::vector<op_case> cases) {
    for (op_case& c : cases)
      if (c.in_suite(suite) && op_selected(c.kind, ops)) out.push_back(std::move(c));
  };
  for (const embedded_case_file& f : embedded_case_files()) take(parse_case_file(f.text, std::string("cases/") + f.name));
  if (!extra_file.empty()) {
    std::ifstream in(extra_file);
    if (!in) throw std::runtime_error(extra_file + ": cannot read the case file: " + std::strerror(errno));
    std::stringstream text;
    text << in.rdbuf();
    take(parse_case_file(text.str(), extra_file));
  }
  group_by_kind(out);
  return out;
}

std::vector<op_case> all_cases() { return load_cases("test", {}, ""); }

int64_t element_count(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

case_data make_case_data(const op_case& c, uint64_t seed, uint64_t case_index) {
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + case_index);
  std::uniform_real_distribution<float> unit(-1.f, 1.f);
  auto draw = [&](const tensor_spec& t) {
    const int64_t n = element_count(t.shape);
    std::vector<unsigned char> bytes(size_t(n) * 4);
    std::vector<float> v(static_cast<size_t>(n));
    const int64_t row = t.shape.empty() ? 1 : t.shape.back();
    switch (t.init) {
      case fill::uniform:
        for (auto& x : v) x = unit(rng);
        break;
      case fill::positive:
        for (auto& x : v) x = 0.05f + 0.95f * (unit(rng) + 1.f) / 2.f;
        break;
      case fill::relu_out:
        for (auto& x : v) x = std::max(0.f, unit(rng));
        break;
      case fill::sigmoid_out:
        for (auto& x : v) x = 0.5f + 0.45f * unit(rng);
        break;
      case fill::tanh_out:
        for (auto& x : v) x = 0.95f * unit(rng);
        break;
      case fill::prob_rows:
      case fill::logprob_rows:
        for (int64_t r = 0; r < n / row; ++r) {
          float sum = 0.f;
          for (int64_t j = 0; j < row; ++j) sum += v[size_t(r * row + j)] = 0.05f + (unit(rng) + 1.f);
          for (int64_t j = 0; j < row; ++j) {
            float& x = v[size_t(r * row + j)];
            x /= sum;
            if (t.init == fill::logprob_rows) x = std::log(x);
          }
        }
        break;
      case fill::labels: {
        std::uniform_int_distribution<int32_t> pick(0, c.classes > 0 ? c.classes - 1 : 0);
        std::vector<int32_t> labels(static_cast<size_t>(n));
        for (auto& l : labels) l = pick(rng);
        std::memcpy(bytes.data(), labels.data(), bytes.size());
        return bytes;
      }
      case fill::poison:
      case fill::pool_output:
        for (auto& x : v) x = std::numeric_limits<float>::quiet_NaN();
        if (t.dtype.code == BP_DTYPE_INT) {
          // int32 outputs cannot hold NaN: poison with a value no index can take.
          std::vector<int32_t> w(static_cast<size_t>(n), -777);
          std::memcpy(bytes.data(), w.data(), bytes.size());
          return bytes;
        }
        break;
    }
    std::memcpy(bytes.data(), v.data(), bytes.size());
    return bytes;
  };
  case_data d;
  for (const tensor_spec& t : c.inputs) d.inputs.push_back(draw(t));
  for (const tensor_spec& t : c.outputs) d.outputs.push_back(draw(t));
  return d;
}

}  // namespace bp::conformance::detail
