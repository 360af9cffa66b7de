// aliasing_test.cpp — which ops may write into one of their inputs.
//
// Policy (what a backend can honour without a hidden copy):
//   allowed in place (output IS an input, same view): BIAS_ADD (y = x, abi.h
//     says so), ACTIVATION_FWD (y = x), ADD/SUB/MUL (c = a or b), SCALE
//     (y = x), COPY (y = x, a no-op), SGD/ADAM (param/m/v are in-out by design);
//   forbidden (the kernel reads an input after it has started writing the
//     output): GEMM c aliasing a or b; CONV2D_* output aliasing any input;
//     POOL2D_* output aliasing an input; SOFTMAX_XENT_* outputs aliasing
//     inputs; REDUCE/ARGMAX (shapes differ anyway); ADAM/SGD grad aliasing an
//     in-out tensor; two outputs aliasing each other;
//   always forbidden: PARTIAL overlap (views that share some but not all bytes).
//
// The allowed cases are checked for correct results through the core. The
// forbidden ones are expected to be refused by bp::sdk::check_op (the shared
// validator, so the core and every plugin agree; the rules live in
// sdk/include/backplane/sdk/op_alias.hpp).
#include <cstring>

#include "backplane/sdk/op_check.hpp"
#include "support.hpp"

using namespace rel;

namespace {

bp::runtime openblas_runtime() {
  REQUIRE_MESSAGE(!openblas_plugin_path().empty(), "the openblas-cpu plugin is not part of this build");
  hermetic_options h({openblas_plugin_path()});
  return bp::runtime(h.o);
}

}  // namespace

TEST_SUITE("validation") {

TEST_CASE("aliasing: in-place ops allowed by the policy run correctly") {
  bp::runtime rt = openblas_runtime();
  bp::tensor x = rt.empty({2, 3}), b = rt.empty({3});
  x.write(std::vector<float>{-1, 2, -3, 4, -5, 6});
  b.write(std::vector<float>{10, 20, 30});
  bp_layout_attrs nhwc{sizeof(bp_layout_attrs), BP_LAYOUT_NHWC};
  rt.run(BP_OP_BIAS_ADD, &nhwc, {&x, &b}, {&x});
  CHECK(x.read<float>() == std::vector<float>{9, 22, 27, 14, 15, 36});
  bp_activation_attrs relu{sizeof(bp_activation_attrs), BP_ACTIVATION_RELU};
  x.write(std::vector<float>{-1, 2, -3, 4, -5, 6});
  rt.run(BP_OP_ACTIVATION_FWD, &relu, {&x}, {&x});
  CHECK(x.read<float>() == std::vector<float>{0, 2, 0, 4, 0, 6});
  rt.run(BP_OP_ADD, nullptr, {&x, &x}, {&x});
  CHECK(x.read<float>() == std::vector<float>{0, 4, 0, 8, 0, 12});
  bp_scalar_attrs half{sizeof(bp_scalar_attrs), 0.5f};
  rt.run(BP_OP_SCALE, &half, {&x}, {&x});
  CHECK(x.read<float>() == std::vector<float>{0, 2, 0, 4, 0, 6});
  rt.run(BP_OP_COPY, nullptr, {&x}, {&x});
  CHECK(x.read<float>() == std::vector<float>{0, 2, 0, 4, 0, 6});
}

TEST_CASE("aliasing: check_op refuses outputs that alias inputs where the kernel cannot honour it") {
  std::vector<float> mem(64, 1.0f);
  std::string why;
  // GEMM: c = a (2x2 * 2x2 -> 2x2).
  view a(mem.data(), {2, 2}), b(mem.data() + 8, {2, 2});
  bp_gemm_attrs gemm{sizeof(bp_gemm_attrs), 0, 0, 1.0f, 0.0f};
  desc g(BP_OP_GEMM, &gemm, {&a, &b}, {&a});
  CHECK(bp::sdk::check_op(g.d, true, &why) == BP_ERR_INVALID_ARGUMENT);
  CHECK_MESSAGE(why.find("alias") != std::string::npos, "GEMM c aliasing a: check_op said '", why, "'");
  desc g2(BP_OP_GEMM, &gemm, {&a, &b}, {&b});
  why.clear();
  CHECK(bp::sdk::check_op(g2.d, true, &why) == BP_ERR_INVALID_ARGUMENT);
  CHECK_MESSAGE(why.find("alias") != std::string::npos, "GEMM c aliasing b: check_op said '", why, "'");
  // CONV2D_FWD 1x1 conv keeps the shape: y = x.
  view x(mem.data(), {1, 2, 2, 1}), w(mem.data() + 16, {1, 1, 1, 1});
  bp_conv2d_attrs conv{};
  conv.struct_size = sizeof conv;
  conv.stride_h = conv.stride_w = conv.dilation_h = conv.dilation_w = 1;
  desc c(BP_OP_CONV2D_FWD, &conv, {&x, &w}, {&x});
  why.clear();
  CHECK(bp::sdk::check_op(c.d, true, &why) == BP_ERR_INVALID_ARGUMENT);
  CHECK_MESSAGE(why.find("alias") != std::string::npos, "CONV2D_FWD y aliasing x: check_op said '", why, "'");
  // POOL2D_FWD 1x1 window keeps the shape: y = x.
  bp_pool2d_attrs pool{};
  pool.struct_size = sizeof pool;
  pool.window_h = pool.window_w = pool.stride_h = pool.stride_w = 1;
  desc p(BP_OP_POOL2D_FWD, &pool, {&x}, {&x});
  why.clear();
  CHECK(bp::sdk::check_op(p.d, true, &why) == BP_ERR_INVALID_ARGUMENT);
  CHECK_MESSAGE(why.find("alias") != std::string::npos, "POOL2D_FWD y aliasing x: check_op said '", why, "'");
  // ADAM: grad aliasing param.
  view g4(mem.data(), {4}), m4(mem.data() + 32, {4}), v4(mem.data() + 40, {4});
  bp_adam_attrs adam{sizeof(bp_adam_attrs), 1e-3f, 0.9f, 0.999f, 1e-7f, 1};
  desc ad(BP_OP_ADAM_UPDATE, &adam, {&g4}, {&g4, &m4, &v4});
  why.clear();
  CHECK(bp::sdk::check_op(ad.d, true, &why) == BP_ERR_INVALID_ARGUMENT);
  CHECK_MESSAGE(why.find("alias") != std::string::npos, "ADAM grad aliasing param: check_op said '", why, "'");
  // Partial overlap on an elementwise op: c starts one element into a.
  view ea(mem.data(), {8}), eb(mem.data() + 16, {8}), ec(mem.data() + 1, {8});
  desc e(BP_OP_ADD, nullptr, {&ea, &eb}, {&ec});
  why.clear();
  CHECK(bp::sdk::check_op(e.d, true, &why) == BP_ERR_INVALID_ARGUMENT);
  CHECK_MESSAGE(why.find("overlap") != std::string::npos, "ADD c partially overlapping a: check_op said '", why, "'");
}

TEST_CASE("aliasing: the core refuses GEMM with c aliasing a (through bp_op_run)") {
  bp::runtime rt = openblas_runtime();
  bp::tensor a = rt.empty({2, 2}), b = rt.empty({2, 2});
  a.write(std::vector<float>{1, 2, 3, 4});
  b.write(std::vector<float>{1, 0, 0, 1});
  bp_gemm_attrs gemm{sizeof(bp_gemm_attrs), 0, 0, 1.0f, 0.0f};
  bp_tensor_t in[] = {a.get(), b.get()}, out[] = {a.get()};
  bp_status s = bp_op_run(rt.get(), BP_OP_GEMM, &gemm, in, 2, out, 1);
  const std::string msg = bp_last_error_message();
  CHECK_MESSAGE(s == BP_ERR_INVALID_ARGUMENT, "bp_op_run accepted GEMM with c aliasing a (status ", bp_status_name(s), ")");
  if (s == BP_OK)
    MESSAGE("GEMM with c = a ran; result ", a.read<float>()[0], ",", a.read<float>()[1], ",", a.read<float>()[2], ",",
            a.read<float>()[3], " (a * identity should be 1,2,3,4; beta=0 lets the kernel clear c before reading a)");
  else
    CHECK(msg.find("alias") != std::string::npos);
}

}  // TEST_SUITE
