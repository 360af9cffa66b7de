// case_file.cpp — JSON case files <-> op_case (attribute structs by name,
// fills, tolerance classes), each case checked against the op contract.
#include "case_file.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "backplane/sdk/op_check.hpp"
#include "backplane/sdk/tensor_util.hpp"

namespace bp::conformance::detail {
namespace {

using json = nlohmann::json;

[[noreturn]] void fail(const std::string& where, const std::string& what) { throw std::runtime_error(where + ": " + what); }

// One enum vocabulary: the words of a file and their values.
struct word {
  const char* name;
  int32_t value;
};
constexpr word kLayouts[] = {{"NHWC", BP_LAYOUT_NHWC}, {"NCHW", BP_LAYOUT_NCHW}};
constexpr word kPaddings[] = {{"VALID", BP_PADDING_VALID}, {"SAME", BP_PADDING_SAME}, {"EXPLICIT", BP_PADDING_EXPLICIT}};
constexpr word kActivations[] = {{"NONE", BP_ACTIVATION_NONE}, {"RELU", BP_ACTIVATION_RELU},
                                 {"SIGMOID", BP_ACTIVATION_SIGMOID}, {"TANH", BP_ACTIVATION_TANH}};
constexpr word kPoolModes[] = {{"MAX", BP_POOL_MAX}, {"AVG", BP_POOL_AVG}};
constexpr word kReduceModes[] = {{"SUM", BP_REDUCE_SUM}, {"MEAN", BP_REDUCE_MEAN}};
constexpr word kFills[] = {{"uniform", int32_t(fill::uniform)},         {"positive", int32_t(fill::positive)},
                           {"relu_out", int32_t(fill::relu_out)},       {"sigmoid_out", int32_t(fill::sigmoid_out)},
                           {"tanh_out", int32_t(fill::tanh_out)},       {"prob_rows", int32_t(fill::prob_rows)},
                           {"logprob_rows", int32_t(fill::logprob_rows)}, {"labels", int32_t(fill::labels)},
                           {"poison", int32_t(fill::poison)},           {"pool_output", int32_t(fill::pool_output)}};

template <size_t N>
int32_t value_of(const word (&words)[N], const json& j, const std::string& where) {
  std::string known;
  if (j.is_string())
    for (const word& w : words)
      if (j.get<std::string>() == w.name) return w.value;
  for (const word& w : words) known += std::string(known.empty() ? "" : ", ") + w.name;
  fail(where, "'" + j.dump() + "' is not one of " + known);
}
template <size_t N>
const char* name_of(const word (&words)[N], int32_t value) {
  for (const word& w : words)
    if (w.value == value) return w.name;
  return "?";
}

// A member of an attribute object, or its default; unknown members are errors
// (a typo must not silently become a default).
struct attr_reader {
  const json& j;
  std::string where;
  std::vector<std::string> used;
  const json* get(const char* key) {
    used.push_back(key);
    auto it = j.find(key);
    return it == j.end() ? nullptr : &*it;
  }
  int32_t integer(const char* key, int32_t dflt) {
    const json* v = get(key);
    if (!v) return dflt;
    if (!v->is_number_integer()) fail(where, std::string("attrs.") + key + " must be an integer");
    return v->get<int32_t>();
  }
  float number(const char* key, float dflt) {
    const json* v = get(key);
    if (!v) return dflt;
    if (!v->is_number()) fail(where, std::string("attrs.") + key + " must be a number");
    return v->get<float>();
  }
  template <size_t N>
  int32_t choice(const char* key, const word (&words)[N], int32_t dflt) {
    const json* v = get(key);
    return v ? value_of(words, *v, where + ": attrs." + key) : dflt;
  }
  // [h, w] or one number for both.
  void pair(const char* key, int32_t& h, int32_t& w, int32_t dflt) {
    const json* v = get(key);
    h = w = dflt;
    if (!v) return;
    if (v->is_number_integer()) h = w = v->get<int32_t>();
    else if (v->is_array() && v->size() == 2 && (*v)[0].is_number_integer() && (*v)[1].is_number_integer())
      h = (*v)[0].get<int32_t>(), w = (*v)[1].get<int32_t>();
    else fail(where, std::string("attrs.") + key + " must be an integer or [h, w]");
  }
  // [top, bottom, left, right].
  void pads(int32_t& top, int32_t& bottom, int32_t& left, int32_t& right) {
    const json* v = get("pad");
    top = bottom = left = right = 0;
    if (!v) return;
    if (!v->is_array() || v->size() != 4) fail(where, "attrs.pad must be [top, bottom, left, right]");
    top = (*v)[0].get<int32_t>(), bottom = (*v)[1].get<int32_t>(), left = (*v)[2].get<int32_t>(), right = (*v)[3].get<int32_t>();
  }
  void finish() const {
    for (auto it = j.begin(); it != j.end(); ++it)
      if (std::find(used.begin(), used.end(), it.key()) == used.end())
        fail(where, "attrs." + it.key() + " is not an attribute of this op");
  }
};

template <typename A>
std::vector<unsigned char> bytes_of(A attrs) {
  attrs.struct_size = sizeof(A);
  std::vector<unsigned char> out(sizeof(A));
  std::memcpy(out.data(), &attrs, sizeof(A));
  return out;
}
template <typename A>
A struct_of(const std::vector<unsigned char>& bytes) {
  A a{};
  std::memcpy(&a, bytes.data(), std::min(bytes.size(), sizeof(A)));
  return a;
}

// A float attribute as the short decimal it was written as (0.9f -> 0.9, not 0.8999999761581421).
json short_number(float v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", double(v));
  return std::strtod(text, nullptr);
}

std::vector<int64_t> shape_of(const json& j, const std::string& where) {
  if (!j.is_array()) fail(where, "shape must be an array of extents");
  std::vector<int64_t> s;
  for (const json& d : j) {
    if (!d.is_number_integer() || d.get<int64_t>() < 0) fail(where, "shape extents must be integers >= 0");
    s.push_back(d.get<int64_t>());
  }
  return s;
}

tensor_spec tensor_of(const json& j, bool output, const std::string& where) {
  if (!j.is_object() || !j.contains("shape")) fail(where, "a tensor is {\"shape\": [...], \"fill\": ..., \"dtype\": ...}");
  tensor_spec t{shape_of(j["shape"], where), {BP_DTYPE_FLOAT, 32, 1}, output ? fill::poison : fill::uniform};
  if (j.contains("dtype")) {
    const std::string d = j["dtype"].is_string() ? j["dtype"].get<std::string>() : "";
    if (d == "int32") t.dtype = {BP_DTYPE_INT, 32, 1};
    else if (d != "float32") fail(where, "dtype must be float32 or int32");
  }
  if (j.contains("fill")) t.init = fill(value_of(kFills, j["fill"], where + ": fill"));
  if (j.contains("offset")) {
    if (!j["offset"].is_number_integer() || j["offset"].get<int64_t>() < 0) fail(where, "offset must be elements >= 0");
    t.offset = j["offset"].get<int64_t>();
  }
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "shape" && it.key() != "dtype" && it.key() != "fill" && it.key() != "offset")
      fail(where, "unknown tensor member '" + it.key() + "'");
  return t;
}

json tensor_to_json(const tensor_spec& t) {
  json j = {{"shape", t.shape}, {"fill", name_of(kFills, int32_t(t.init))}};
  if (t.dtype.code == BP_DTYPE_INT) j["dtype"] = "int32";
  if (t.offset) j["offset"] = t.offset;
  return j;
}

// Tolerance classes: exact-ish elementwise, transcendental, reductions.
void set_tolerance(op_case& c, const json& j, const std::string& where) {
  if (j.is_string()) {
    const std::string t = j.get<std::string>();
    if (t == "exact") c.atol = 1e-6, c.rtol = 1e-6;
    else if (t == "transcendental") c.atol = 2e-5, c.rtol = 1e-4;
    else if (t == "reduction") c.atol = 1e-4, c.rtol = 1e-3;
    else if (t == "bitwise") c.atol = 0, c.rtol = 0;
    else fail(where, "tolerance must be exact, transcendental, reduction, bitwise or {\"atol\", \"rtol\"}");
  } else if (j.is_object() && j.contains("atol") && j.contains("rtol")) {
    c.atol = j["atol"].get<double>(), c.rtol = j["rtol"].get<double>();
  } else {
    fail(where, "tolerance must be exact, transcendental, reduction, bitwise or {\"atol\", \"rtol\"}");
  }
}

// The op contract on the case's shapes and attributes (no data).
void check_against_contract(const op_case& c, const std::string& where) {
  std::vector<std::vector<int64_t>> shapes;
  std::vector<bp_tensor> in(c.inputs.size()), out(c.outputs.size());
  auto view = [](const tensor_spec& s, bp_tensor& t) {
    t = bp_tensor{};
    t.device = {BP_DEVICE_CPU, 0};
    t.ndim = int32_t(s.shape.size());
    t.dtype = s.dtype;
    t.shape = const_cast<int64_t*>(s.shape.data());
  };
  for (size_t i = 0; i < c.inputs.size(); ++i) view(c.inputs[i], in[i]);
  for (size_t i = 0; i < c.outputs.size(); ++i) view(c.outputs[i], out[i]);
  bp_op_desc op{};
  op.struct_size = sizeof op;
  op.kind = c.kind;
  op.attrs = c.attrs_ptr();
  op.inputs = in.data();
  op.num_inputs = uint32_t(in.size());
  op.outputs = out.data();
  op.num_outputs = uint32_t(out.size());
  std::string why;
  if (bp::sdk::check_op(op, /*require_data=*/false, &why) != BP_OK) fail(where, "breaks the op contract: " + why);
}

std::string default_label(const op_case& c) {
  std::string s = bp::sdk::op_kind_name(c.kind);
  const json a = attrs_to_json(c.kind, c.attrs);
  for (auto it = a.begin(); it != a.end(); ++it)
    s += " " + it.key() + "=" + (it->is_string() ? it->get<std::string>() : it->dump());
  for (const tensor_spec& t : c.inputs)
    s += " " + bp::sdk::shape_string(t.shape.data(), int32_t(t.shape.size())) + (t.offset ? "@+" + std::to_string(t.offset) : "");
  return s;
}

}  // namespace

std::vector<unsigned char> attrs_from_json(bp_op_kind kind, const json& j, const std::string& where) {
  static const json empty = json::object();
  attr_reader r{j.is_null() ? empty : j, where, {}};
  if (!r.j.is_object()) fail(where, "attrs must be an object");
  std::vector<unsigned char> out;
  switch (kind) {
    case BP_OP_CONV2D_FWD: case BP_OP_CONV2D_BWD_DATA: case BP_OP_CONV2D_BWD_FILTER: {
      bp_conv2d_attrs a{};
      a.layout = r.choice("layout", kLayouts, BP_LAYOUT_NHWC);
      r.pair("stride", a.stride_h, a.stride_w, 1);
      r.pair("dilation", a.dilation_h, a.dilation_w, 1);
      a.padding = r.choice("padding", kPaddings, BP_PADDING_VALID);
      r.pads(a.pad_top, a.pad_bottom, a.pad_left, a.pad_right);
      a.activation = r.choice("activation", kActivations, BP_ACTIVATION_NONE);
      out = bytes_of(a);
      break;
    }
    case BP_OP_BIAS_ADD: case BP_OP_BIAS_GRAD: {
      bp_layout_attrs a{};
      a.layout = r.choice("layout", kLayouts, BP_LAYOUT_NHWC);
      out = bytes_of(a);
      break;
    }
    case BP_OP_ACTIVATION_FWD: case BP_OP_ACTIVATION_BWD: {
      bp_activation_attrs a{};
      a.activation = r.choice("activation", kActivations, BP_ACTIVATION_NONE);
      out = bytes_of(a);
      break;
    }
    case BP_OP_POOL2D_FWD: case BP_OP_POOL2D_BWD: {
      bp_pool2d_attrs a{};
      a.layout = r.choice("layout", kLayouts, BP_LAYOUT_NHWC);
      a.mode = r.choice("mode", kPoolModes, BP_POOL_MAX);
      r.pair("window", a.window_h, a.window_w, 2);
      r.pair("stride", a.stride_h, a.stride_w, 1);
      a.padding = r.choice("padding", kPaddings, BP_PADDING_VALID);
      r.pads(a.pad_top, a.pad_bottom, a.pad_left, a.pad_right);
      out = bytes_of(a);
      break;
    }
    case BP_OP_GEMM: {
      bp_gemm_attrs a{};
      a.trans_a = r.integer("trans_a", 0), a.trans_b = r.integer("trans_b", 0);
      a.alpha = r.number("alpha", 1.f), a.beta = r.number("beta", 0.f);
      out = bytes_of(a);
      break;
    }
    case BP_OP_SOFTMAX: case BP_OP_SOFTMAX_BWD: {
      bp_softmax_attrs a{};
      a.log = r.integer("log", 0);
      out = bytes_of(a);
      break;
    }
    case BP_OP_SOFTMAX_XENT_FWD: case BP_OP_SOFTMAX_XENT_BWD: {
      bp_xent_attrs a{};
      a.reduction = r.choice("reduction", kReduceModes, BP_REDUCE_MEAN);
      out = bytes_of(a);
      break;
    }
    case BP_OP_ADAM_UPDATE: {
      bp_adam_attrs a{};
      a.lr = r.number("lr", 0.001f), a.beta1 = r.number("beta1", 0.9f), a.beta2 = r.number("beta2", 0.999f);
      a.epsilon = r.number("epsilon", 1e-7f), a.step = r.integer("step", 1);
      out = bytes_of(a);
      break;
    }
    case BP_OP_SGD_UPDATE: {
      bp_sgd_attrs a{};
      a.lr = r.number("lr", 0.01f), a.momentum = r.number("momentum", 0.f), a.nesterov = r.integer("nesterov", 0);
      out = bytes_of(a);
      break;
    }
    case BP_OP_SCALE: case BP_OP_FILL: {
      bp_scalar_attrs a{};
      a.value = r.number("value", 1.f);
      out = bytes_of(a);
      break;
    }
    case BP_OP_REDUCE: {
      bp_reduce_attrs a{};
      a.mode = r.choice("mode", kReduceModes, BP_REDUCE_SUM);
      a.axis = r.integer("axis", -1);
      out = bytes_of(a);
      break;
    }
    default:
      break;  // ADD, SUB, MUL, COPY, ARGMAX take no attributes
  }
  r.finish();
  return out;
}

json attrs_to_json(bp_op_kind kind, const std::vector<unsigned char>& bytes) {
  json j = json::object();
  if (bytes.empty()) return j;
  auto pads = [](int32_t t, int32_t b, int32_t l, int32_t r) { return json::array({t, b, l, r}); };
  switch (kind) {
    case BP_OP_CONV2D_FWD: case BP_OP_CONV2D_BWD_DATA: case BP_OP_CONV2D_BWD_FILTER: {
      const auto a = struct_of<bp_conv2d_attrs>(bytes);
      j = {{"layout", name_of(kLayouts, a.layout)}, {"stride", {a.stride_h, a.stride_w}}};
      if (a.dilation_h != 1 || a.dilation_w != 1) j["dilation"] = {a.dilation_h, a.dilation_w};
      j["padding"] = name_of(kPaddings, a.padding);
      if (a.padding == BP_PADDING_EXPLICIT) j["pad"] = pads(a.pad_top, a.pad_bottom, a.pad_left, a.pad_right);
      if (a.activation != BP_ACTIVATION_NONE) j["activation"] = name_of(kActivations, a.activation);
      break;
    }
    case BP_OP_BIAS_ADD: case BP_OP_BIAS_GRAD: j = {{"layout", name_of(kLayouts, struct_of<bp_layout_attrs>(bytes).layout)}}; break;
    case BP_OP_ACTIVATION_FWD: case BP_OP_ACTIVATION_BWD:
      j = {{"activation", name_of(kActivations, struct_of<bp_activation_attrs>(bytes).activation)}};
      break;
    case BP_OP_POOL2D_FWD: case BP_OP_POOL2D_BWD: {
      const auto a = struct_of<bp_pool2d_attrs>(bytes);
      j = {{"layout", name_of(kLayouts, a.layout)}, {"mode", name_of(kPoolModes, a.mode)},
           {"window", {a.window_h, a.window_w}}, {"stride", {a.stride_h, a.stride_w}}, {"padding", name_of(kPaddings, a.padding)}};
      if (a.padding == BP_PADDING_EXPLICIT) j["pad"] = pads(a.pad_top, a.pad_bottom, a.pad_left, a.pad_right);
      break;
    }
    case BP_OP_GEMM: {
      const auto a = struct_of<bp_gemm_attrs>(bytes);
      j = {{"trans_a", a.trans_a}, {"trans_b", a.trans_b}, {"alpha", short_number(a.alpha)}, {"beta", short_number(a.beta)}};
      break;
    }
    case BP_OP_SOFTMAX: case BP_OP_SOFTMAX_BWD: j = {{"log", struct_of<bp_softmax_attrs>(bytes).log}}; break;
    case BP_OP_SOFTMAX_XENT_FWD: case BP_OP_SOFTMAX_XENT_BWD:
      j = {{"reduction", name_of(kReduceModes, struct_of<bp_xent_attrs>(bytes).reduction)}};
      break;
    case BP_OP_ADAM_UPDATE: {
      const auto a = struct_of<bp_adam_attrs>(bytes);
      j = {{"lr", short_number(a.lr)}, {"beta1", short_number(a.beta1)}, {"beta2", short_number(a.beta2)},
           {"epsilon", short_number(a.epsilon)}, {"step", a.step}};
      break;
    }
    case BP_OP_SGD_UPDATE: {
      const auto a = struct_of<bp_sgd_attrs>(bytes);
      j = {{"lr", short_number(a.lr)}, {"momentum", short_number(a.momentum)}, {"nesterov", a.nesterov}};
      break;
    }
    case BP_OP_SCALE: case BP_OP_FILL: j = {{"value", short_number(struct_of<bp_scalar_attrs>(bytes).value)}}; break;
    case BP_OP_REDUCE: {
      const auto a = struct_of<bp_reduce_attrs>(bytes);
      j = {{"mode", name_of(kReduceModes, a.mode)}, {"axis", a.axis}};
      break;
    }
    default: break;
  }
  return j;
}

json case_to_json(const op_case& c) {
  json j = {{"op", bp::sdk::op_kind_name(c.kind)}, {"label", c.label}};
  if (!c.attrs.empty()) j["attrs"] = attrs_to_json(c.kind, c.attrs);
  j["inputs"] = json::array();
  for (const tensor_spec& t : c.inputs) j["inputs"].push_back(tensor_to_json(t));
  j["outputs"] = json::array();
  for (const tensor_spec& t : c.outputs) j["outputs"].push_back(tensor_to_json(t));
  j["tolerance"] = {{"atol", c.atol}, {"rtol", c.rtol}};
  if (c.classes) j["classes"] = c.classes;
  j["suites"] = c.suites;
  return j;
}

std::vector<op_case> parse_case_file(const std::string& text, const std::string& origin) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    fail(origin, std::string("not valid JSON: ") + e.what());
  }
  if (!doc.is_object() || !doc.contains("cases") || !doc["cases"].is_array())
    fail(origin, "a case file is {\"cases\": [ ... ]}");
  std::vector<op_case> out;
  for (size_t i = 0; i < doc["cases"].size(); ++i) {
    const json& j = doc["cases"][i];
    std::string where = origin + ": case " + std::to_string(i);
    if (!j.is_object() || !j.contains("op") || !j["op"].is_string()) fail(where, "needs \"op\": an op kind name such as \"GEMM\"");
    if (j.contains("label") && j["label"].is_string()) where += " ('" + j["label"].get<std::string>() + "')";
    op_case c;
    const std::string op = j["op"].get<std::string>();
    for (bp_op_kind k = 1; k < BP_OP_KIND_COUNT_; ++k)
      if (op == bp::sdk::op_kind_name(k)) c.kind = k;
    if (c.kind == BP_OP_INVALID) fail(where, "'" + op + "' is not an op kind of the ABI");
    for (auto it = j.begin(); it != j.end(); ++it) {
      static const char* const known[] = {"op", "label", "attrs", "inputs", "outputs", "tolerance", "classes", "suites", "comment"};
      if (std::find_if(std::begin(known), std::end(known), [&](const char* k) { return it.key() == k; }) == std::end(known))
        fail(where, "unknown member '" + it.key() + "'");
    }
    c.attrs = attrs_from_json(c.kind, j.contains("attrs") ? j["attrs"] : json(), where);
    for (const json& t : j.value("inputs", json::array())) c.inputs.push_back(tensor_of(t, false, where));
    for (const json& t : j.value("outputs", json::array())) c.outputs.push_back(tensor_of(t, true, where));
    if (j.contains("tolerance")) set_tolerance(c, j["tolerance"], where);
    c.classes = j.value("classes", 0);
    if (j.contains("suites")) {
      c.suites.clear();
      for (const json& s : j["suites"]) {
        const std::string name = s.is_string() ? s.get<std::string>() : "";
        if (name != "test" && name != "grad" && name != "perf" && name != "peak")
          fail(where, "suites are test, grad, perf or peak (got " + s.dump() + ")");
        c.suites.push_back(name);
      }
    }
    check_against_contract(c, where);
    c.label = j.contains("label") ? j["label"].get<std::string>() : default_label(c);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace bp::conformance::detail
