// op_attrs_test.cpp — the neutral attribute defaults (op_attrs.h, bp::default_attrs):
// the values are the documented ones, the C and C++ ways agree, and ops run with
// them on openblas-cpu where a zero-filled struct is refused.
#include <doctest/doctest.h>

#include <cstring>

#include "fixtures.hpp"

using namespace fixtures;

extern "C" int bp_abi_test_c_conv_default_dilation(void);

TEST_CASE("attribute defaults: documented values, the same from C and C++") {
  const auto conv = bp::default_attrs<bp_conv2d_attrs>();
  CHECK(conv.struct_size == sizeof(bp_conv2d_attrs));
  CHECK(conv.layout == BP_LAYOUT_NHWC);
  CHECK((conv.stride_h == 1 && conv.stride_w == 1 && conv.dilation_h == 1 && conv.dilation_w == 1));
  CHECK(conv.padding == BP_PADDING_VALID);
  CHECK(conv.activation == BP_ACTIVATION_NONE);
  CHECK(bp_abi_test_c_conv_default_dilation() == 11);  // the C header, compiled as C

  const auto pool = bp::default_attrs<bp_pool2d_attrs>();
  CHECK((pool.window_h == 2 && pool.window_w == 2 && pool.stride_h == 2 && pool.stride_w == 2));
  CHECK(pool.mode == BP_POOL_MAX);
  const auto gemm = bp::default_attrs<bp_gemm_attrs>();
  CHECK((gemm.alpha == 1.0f && gemm.beta == 0.0f && gemm.trans_a == 0 && gemm.trans_b == 0));
  const auto adam = bp::default_attrs<bp_adam_attrs>();
  CHECK((adam.lr == 0.001f && adam.beta1 == 0.9f && adam.beta2 == 0.999f && adam.epsilon == 1e-7f && adam.step == 1));
  CHECK(bp::default_attrs<bp_sgd_attrs>().lr == 0.01f);
  CHECK(bp::default_attrs<bp_xent_attrs>().reduction == BP_REDUCE_MEAN);
  CHECK(bp::default_attrs<bp_reduce_attrs>().axis == -1);
  CHECK(bp::default_attrs<bp_scalar_attrs>().value == 1.0f);
  CHECK(bp::default_attrs<bp_softmax_attrs>().log == 0);
  CHECK(bp::default_attrs<bp_activation_attrs>().activation == BP_ACTIVATION_NONE);
  CHECK(bp::default_attrs<bp_layout_attrs>().layout == BP_LAYOUT_NHWC);

  // The C function and the C++ template give the same bytes.
  bp_pool2d_attrs from_c;
  bp_pool2d_attrs_init(&from_c);
  CHECK(std::memcmp(&from_c, &pool, sizeof pool) == 0);
}

#ifdef BACKPLANE_OPENBLAS_PLUGIN
TEST_CASE("attribute defaults: a conv and a pool run with them; zero-filled attributes are refused by name") {
  hermetic_options h({BACKPLANE_OPENBLAS_PLUGIN});
  bp::runtime rt(h.o);
  bp::tensor x = rt.empty({1, 4, 4, 1}), w = rt.empty({1, 3, 3, 1}), y = rt.empty({1, 2, 2, 1});
  x.write(std::vector<float>(16, 1.0f));
  w.write(std::vector<float>(9, 1.0f));
  const auto conv = bp::default_attrs<bp_conv2d_attrs>();
  rt.run(BP_OP_CONV2D_FWD, &conv, {&x, &w}, {&y});
  CHECK(y.read<float>() == std::vector<float>(4, 9.0f));  // 3x3 ones over ones, VALID, stride 1

  bp::tensor p = rt.empty({1, 2, 2, 1});
  const auto pool = bp::default_attrs<bp_pool2d_attrs>();
  x.write(std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
  rt.run(BP_OP_POOL2D_FWD, &pool, {&x}, {&p});
  CHECK(p.read<float>() == std::vector<float>{6, 8, 14, 16});

  const auto zeros = bp::init_struct<bp_conv2d_attrs>();  // stride 0, dilation 0: not a request
  CHECK_THROWS_WITH_AS(rt.run(BP_OP_CONV2D_FWD, &zeros, {&x, &w}, {&y}), doctest::Contains("stride"), bp::error);
}
#endif

TEST_CASE("options init: a host built against an older, smaller bp_runtime_options is never written past its end") {
  // bp_runtime_options grew in 1.1 (plugin_settings): a 1.0 host calls the exported
  // function on a struct that ends where plugin_settings begins.
  constexpr size_t v10_size = offsetof(bp_runtime_options, plugin_settings);
  alignas(bp_runtime_options) unsigned char buffer[sizeof(bp_runtime_options) + 64];
  std::memset(buffer, 0xAB, sizeof buffer);
  auto* old_host = reinterpret_cast<bp_runtime_options*>(buffer);
  (bp_runtime_options_init)(old_host);  // the 1.0 symbol, as an old binary calls it
  CHECK(old_host->struct_size == v10_size);
  CHECK(old_host->use_environment == 1);
  CHECK(old_host->op_fallback == 1);
  for (size_t i = v10_size; i < sizeof buffer; ++i) REQUIRE_MESSAGE(buffer[i] == 0xAB, "byte " << i << " overwritten");
  // The header's macro passes the caller's size: a current host gets every member.
  bp_runtime_options current;
  std::memset(&current, 0xAB, sizeof current);
  bp_runtime_options_init(&current);
  CHECK(current.struct_size == sizeof(bp_runtime_options));
  CHECK(current.plugin_settings == nullptr);
  CHECK(current.num_plugin_settings == 0);
  // A 1.0-sized struct is still accepted by bp_runtime_create (its later members read as defaults).
  bp_runtime_t rt = nullptr;
  old_host->explicit_paths_only = 1;  // no plugin folder: creation fails cleanly, nothing is read past the struct
  CHECK(bp_runtime_create(old_host, &rt) != BP_OK);
  CHECK(rt == nullptr);
}
