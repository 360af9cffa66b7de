// The shared validator (sdk/op_check.hpp): accepted descriptors, and
// rejections with their exact messages, directly and through the plugin.
#include <doctest/doctest.h>

#include <deque>
#include <string>

#include "backplane/sdk/op_check.hpp"
#include "harness.hpp"

namespace {

// "1.1": the ABI this build speaks, as the validator names it.
std::string abi_version() { return std::to_string(BP_ABI_VERSION_MAJOR) + "." + std::to_string(BP_ABI_VERSION_MINOR); }

const bp_dtype kF32{BP_DTYPE_FLOAT, 32, 1};
const bp_dtype kI32{BP_DTYPE_INT, 32, 1};

// Builds descriptors whose shape arrays outlive the checks. Data pointers are
// distinct, far-apart fake addresses: the validator compares addresses (for
// aliasing) but never dereferences them.
struct builder {
  std::deque<std::vector<int64_t>> shapes;
  std::vector<bp_tensor> ins, outs;
  static inline float dummy[64] = {};
  uintptr_t next_address = uintptr_t(1) << 44;

  bp_tensor make(std::vector<int64_t> shape, bp_dtype dtype = kF32) {
    shapes.push_back(std::move(shape));
    bp_tensor t{};
    t.data = reinterpret_cast<void*>(next_address);
    next_address += uintptr_t(1) << 40;
    t.device = bp_device{BP_DEVICE_CPU, 0};
    t.ndim = int32_t(shapes.back().size());
    t.dtype = dtype;
    t.shape = shapes.back().data();
    return t;
  }
  builder& in(std::vector<int64_t> shape, bp_dtype dtype = kF32) {
    ins.push_back(make(std::move(shape), dtype));
    return *this;
  }
  builder& out(std::vector<int64_t> shape, bp_dtype dtype = kF32) {
    outs.push_back(make(std::move(shape), dtype));
    return *this;
  }
  bp_op_desc op(bp_op_kind kind, const void* attrs) const {
    bp_op_desc d{};
    d.struct_size = sizeof(d);
    d.kind = kind;
    d.attrs = attrs;
    d.inputs = ins.data();
    d.outputs = outs.data();
    d.num_inputs = uint32_t(ins.size());
    d.num_outputs = uint32_t(outs.size());
    return d;
  }
};

bp_conv2d_attrs conv_attrs() {
  return bp_conv2d_attrs{sizeof(bp_conv2d_attrs), BP_LAYOUT_NHWC, 1, 1, 1, 1, BP_PADDING_VALID, 0, 0, 0, 0, BP_ACTIVATION_RELU};
}

// Runs the validator; returns the message (and checks the status).
std::string why_of(const bp_op_desc& op, bp_status expected = BP_ERR_INVALID_ARGUMENT, bool require_data = false) {
  std::string why;
  CHECK(bp::sdk::check_op(op, require_data, &why) == expected);
  return why;
}

}  // namespace

TEST_CASE("check_op accepts the reference CNN's ops, NCHW and SAME/EXPLICIT convs") {
  bp_conv2d_attrs c = conv_attrs();
  builder conv;
  conv.in({32, 28, 28, 3}).in({32, 3, 3, 3}).in({32}).out({32, 26, 26, 32});
  std::string why;
  CHECK(bp::sdk::check_op(conv.op(BP_OP_CONV2D_FWD, &c), true, &why) == BP_OK);
  CHECK(why.empty());

  c.layout = BP_LAYOUT_NCHW, c.padding = BP_PADDING_SAME, c.stride_h = 2, c.stride_w = 3;
  builder nchw;  // H: ceil(7/2) = 4, W: ceil(8/3) = 3
  nchw.in({2, 3, 7, 8}).in({5, 3, 3, 3}).out({2, 5, 4, 3});
  CHECK(bp::sdk::check_op(nchw.op(BP_OP_CONV2D_FWD, &c), false, &why) == BP_OK);

  c.layout = BP_LAYOUT_NHWC, c.padding = BP_PADDING_EXPLICIT, c.stride_h = c.stride_w = 1;
  c.pad_top = 1, c.pad_bottom = 0, c.pad_left = 2, c.pad_right = 2, c.dilation_h = 2;
  builder ex;  // H: 5+1-5+1 = 2, W: 4+4-3+1 = 6
  ex.in({1, 6, 4, 2}).in({3, 3, 3, 2}).out({1, 3, 6, 3});
  CHECK_MESSAGE(bp::sdk::check_op(ex.op(BP_OP_CONV2D_FWD, &c), false, &why) == BP_OK, why);

  bp_pool2d_attrs p{sizeof(bp_pool2d_attrs), BP_LAYOUT_NHWC, BP_POOL_MAX, 2, 2, 2, 2, BP_PADDING_VALID, 0, 0, 0, 0};
  builder pool;
  pool.in({32, 26, 26, 32}).out({32, 13, 13, 32});
  CHECK(bp::sdk::check_op(pool.op(BP_OP_POOL2D_FWD, &p), false, &why) == BP_OK);

  bp_xent_attrs x{sizeof(bp_xent_attrs), BP_REDUCE_MEAN};
  builder xent;
  xent.in({32, 10}).in({32}, kI32).out({}).out({32, 10});
  CHECK(bp::sdk::check_op(xent.op(BP_OP_SOFTMAX_XENT_FWD, &x), false, &why) == BP_OK);
}

TEST_CASE("check_op rejects wrong ranks, dtypes and shapes with precise messages") {
  bp_conv2d_attrs c = conv_attrs();
  {
    builder b;
    b.in({2, 5, 5}).in({4, 3, 3, 3}).out({2, 3, 3, 4});
    CHECK(why_of(b.op(BP_OP_CONV2D_FWD, &c)) ==
          "CONV2D_FWD input 0 (x): expected rank 4 (N,H,W,C), got rank 3 shape (2,5,5)");
  }
  {
    builder b;
    b.in({2, 5, 5, 3}).in({4, 3, 3, 3}).out({2, 4, 3, 4});
    CHECK(why_of(b.op(BP_OP_CONV2D_FWD, &c)) ==
          "CONV2D_FWD output 0 (y): expected shape (2,3,3,4) (NHWC output of a 3x3 conv, stride 1x1, dilation 1x1, "
          "VALID padding, K=4), got (2,4,3,4)");
  }
  {
    builder b;
    b.in({2, 5, 5, 3}).in({4, 3, 3, 2}).out({2, 3, 3, 4});
    CHECK(why_of(b.op(BP_OP_CONV2D_FWD, &c)).find("CONV2D_FWD input 1 (w): filter (K,R,S,C) [OHWI] has 2 input channels but CONV2D_FWD input 0 (x) has C=3") == 0);
  }
  {
    builder b;
    b.in({2, 5, 5, 3}).in({4, 3, 3, 3}).in({5}).out({2, 3, 3, 4});
    CHECK(why_of(b.op(BP_OP_CONV2D_FWD, &c)) ==
          "CONV2D_FWD input 2 (bias): expected shape (4) (one bias per output channel K), got (5)");
  }
  {
    builder b;
    b.in({2, 2, 2, 3}).in({4, 3, 3, 3}).out({2, 0, 0, 4});
    CHECK(why_of(b.op(BP_OP_CONV2D_FWD, &c)) ==
          "CONV2D_FWD: the 3x3 filter with dilation 1x1 (effective 3x3) does not fit the 2x2 input with VALID padding");
  }
  {
    bp_gemm_attrs g{sizeof(bp_gemm_attrs), 0, 0, 1.0f, 0.0f};
    builder b;
    b.in({2, 3}, kI32).in({3, 5}).out({2, 5});
    CHECK(why_of(b.op(BP_OP_GEMM, &g)) == "GEMM input 0 (a): dtype must be float32, got int32");
    builder m;
    m.in({2, 3}).in({4, 5}).out({2, 5});
    CHECK(why_of(m.op(BP_OP_GEMM, &g)) ==
          "GEMM input 1 (b): inner dimension K=4 of op(b) does not match K=3 of op(a) from input 0 (a) shape (2,3); b shape (4,5)");
    g.trans_a = 1;
    builder t;  // a^T is (3,2): M=3
    t.in({2, 3}).in({2, 5}).out({2, 5});
    CHECK(why_of(t.op(BP_OP_GEMM, &g)) == "GEMM output 0 (c): expected shape (3,5) (M from op(a), N from op(b)), got (2,5)");
  }
  {
    builder b;
    b.in({2, 3}).in({3, 2}).out({2, 3});
    CHECK(why_of(b.op(BP_OP_ADD, nullptr)) == "ADD input 1 (b): expected shape (2,3) (same as ADD input 0 (a)), got (3,2)");
  }
  {
    bp_xent_attrs x{sizeof(bp_xent_attrs), BP_REDUCE_MEAN};
    builder b;
    b.in({4, 10}).in({4}).out({}).out({4, 10});
    CHECK(why_of(b.op(BP_OP_SOFTMAX_XENT_FWD, &x)) == "SOFTMAX_XENT_FWD input 1 (labels): dtype must be int32, got float32");
    builder l;
    l.in({4, 10}).in({4}, kI32).out({2}).out({4, 10});
    CHECK(why_of(l.op(BP_OP_SOFTMAX_XENT_FWD, &x)) == "SOFTMAX_XENT_FWD output 0 (loss): expected a scalar: shape () or (1), got (2)");
  }
  {
    bp_reduce_attrs r{sizeof(bp_reduce_attrs), BP_REDUCE_SUM, 3};
    builder b;
    b.in({2, 3}).out({2});
    CHECK(why_of(b.op(BP_OP_REDUCE, &r)) == "REDUCE: attrs->axis 3 is not -1 (all) or an axis of input 0 (x) rank 2");
    r.axis = 1;
    builder k;
    k.in({2, 3}).out({3});
    CHECK(why_of(k.op(BP_OP_REDUCE, &r)) ==
          "REDUCE output 0 (y): expected shape (2,1) or (2) (input 0 (x) shape (2,3) reduced over axis 1), got (3)");
  }
  {
    builder b;
    b.in({2, 3, 4}).out({2, 3}, kF32);
    CHECK(why_of(b.op(BP_OP_ARGMAX, nullptr)) == "ARGMAX output 0 (idx): dtype must be int32, got float32");
  }
}

TEST_CASE("check_op rejects bad attributes, counts, struct sizes and kinds") {
  bp_conv2d_attrs c = conv_attrs();
  builder b;
  b.in({2, 5, 5, 3}).in({4, 3, 3, 3}).out({2, 3, 3, 4});
  bp_op_desc op = b.op(BP_OP_CONV2D_FWD, &c);

  c.stride_w = 0;
  CHECK(why_of(op) == "CONV2D_FWD: attrs->stride_w must be >= 1, got 0");
  c = conv_attrs();
  c.padding = 7;
  CHECK(why_of(op) == "CONV2D_FWD: attrs->padding 7 is not VALID (0), SAME (1) or EXPLICIT (2)");
  c = conv_attrs();
  c.padding = BP_PADDING_EXPLICIT, c.pad_left = -1;
  CHECK(why_of(op) == "CONV2D_FWD: EXPLICIT pads must be >= 0, got top 0 bottom 0 left -1 right 0");
  c = conv_attrs();
  c.struct_size = 8;
  CHECK(why_of(op) == "CONV2D_FWD: attrs->struct_size is 8, expected at least 48 (bp_conv2d_attrs v1.0)");
  c = conv_attrs();
  op.attrs = nullptr;
  CHECK(why_of(op) == "CONV2D_FWD: attrs is NULL; expected a bp_conv2d_attrs");
  op.attrs = &c;
  op.num_inputs = 1;
  CHECK(why_of(op) == "CONV2D_FWD: expected 2 to 3 inputs (x, w[, bias]; y), got 1");
  op.num_inputs = 2;
  op.inputs = nullptr;
  CHECK(why_of(op) == "CONV2D_FWD: inputs is NULL but num_inputs is 2");
  op.inputs = b.ins.data();
  op.struct_size = 8;
  CHECK(why_of(op) == "op descriptor struct_size is 8, expected at least 48 (bp_op_desc v1.0)");
  op.struct_size = sizeof(bp_op_desc);
  op.kind = 99;
  CHECK(why_of(op, BP_ERR_UNSUPPORTED) == "unknown op kind 99 (this build knows 1..24, ABI v" + abi_version() + ")");
  op.kind = BP_OP_INVALID;
  CHECK(why_of(op) == "op kind 0 is not a valid op kind");

  bp_pool2d_attrs p{sizeof(bp_pool2d_attrs), BP_LAYOUT_NHWC, BP_POOL_AVG, 2, 2, 2, 2, BP_PADDING_EXPLICIT, 0, 2, 0, 0};
  builder pb;
  pb.in({1, 4, 4, 1}).out({1, 3, 2, 1});
  CHECK(why_of(pb.op(BP_OP_POOL2D_FWD, &p)) == "POOL2D_FWD: attrs->pad_bottom must be in [0, window) = [0, 2), got 2");
  p.mode = 5;
  CHECK(why_of(pb.op(BP_OP_POOL2D_FWD, &p)) == "POOL2D_FWD: attrs->mode 5 is not MAX (0) or AVG (1)");

  bp_sgd_attrs s{sizeof(bp_sgd_attrs), 0.1f, 0.9f, 0};
  builder sb;
  sb.in({10}).out({10});
  CHECK(why_of(sb.op(BP_OP_SGD_UPDATE, &s)) == "SGD_UPDATE: momentum 0.900000 needs output 1 (velocity); got only output 0 (param)");
  bp_adam_attrs a{sizeof(bp_adam_attrs), 1e-3f, 0.9f, 0.999f, 1e-7f, 0};
  builder ab;
  ab.in({10}).out({10}).out({10}).out({10});
  CHECK(why_of(ab.op(BP_OP_ADAM_UPDATE, &a)) == "ADAM_UPDATE: attrs->step must be >= 1 (t starts at 1), got 0");
}

TEST_CASE("check_op rejects malformed tensors: ndim, negative extents, overflow, strides, NULL data") {
  builder b;
  b.in({2, 3}).in({2, 3}).out({2, 3});
  bp_op_desc op = b.op(BP_OP_ADD, nullptr);
  std::string why;
  CHECK(bp::sdk::check_op(op, true, &why) == BP_OK);

  b.ins[0].ndim = 9;
  CHECK(why_of(op) == "ADD input 0 (a): ndim 9 out of range 0..8");
  b.ins[0].ndim = 2;
  b.shapes[0][1] = -3;
  CHECK(why_of(op) == "ADD input 0 (a): shape[1] is -3, extents must be >= 0");
  b.shapes[0][1] = 3;

  builder big;
  big.in({int64_t(1) << 40, int64_t(1) << 30}).in({1, 1}).out({1, 1});
  CHECK(why_of(big.op(BP_OP_ADD, nullptr)) == "ADD input 0 (a): element count of shape (1099511627776,1073741824) overflows 64 bits");

  int64_t transposed[2] = {1, 2};
  b.outs[0].strides = transposed;
  CHECK(why_of(op) ==
        "ADD output 0 (c): strides (1,2) are not compact row-major for shape (2,3) (pass NULL strides or compact ones; "
        "only COPY takes strided tensors)");
  int64_t compact[2] = {3, 1};
  b.outs[0].strides = compact;
  CHECK(bp::sdk::check_op(op, true, &why) == BP_OK);

  b.ins[1].data = nullptr;
  CHECK(bp::sdk::check_op(op, false, &why) == BP_OK);  // capability queries pass no data
  CHECK(why_of(op, BP_ERR_INVALID_ARGUMENT, true) == "ADD input 1 (b): data is NULL for a tensor of shape (2,3)");
  b.ins[1].data = builder::dummy;
  b.ins[1].byte_offset = 2;
  CHECK(why_of(op, BP_ERR_INVALID_ARGUMENT, true) == "ADD input 1 (b): data + byte_offset is not aligned to 4 bytes");
}

TEST_CASE("the plugin's op_execute reports validator failures through set_error, and never crashes") {
  harness::tensor a({2, 3}), bt({3, 2}), c({2, 3});
  CHECK(harness::run(BP_OP_ADD, nullptr, {a.desc(), bt.desc()}, {c.desc()}) == BP_ERR_INVALID_ARGUMENT);
  CHECK(harness::last_error().find("ADD input 1 (b): expected shape (2,3) (same as ADD input 0 (a)), got (3,2)") != std::string::npos);  // after the plugin's own prefix, if any
  bp_tensor nodata = a.desc();
  nodata.data = nullptr;
  CHECK(harness::run(BP_OP_ADD, nullptr, {nodata, a.desc()}, {c.desc()}) == BP_ERR_INVALID_ARGUMENT);
  CHECK(harness::last_error().find("ADD input 0 (a): data is NULL for a tensor of shape (2,3)") != std::string::npos);  // after the plugin's own prefix, if any
  CHECK(harness::run(77, nullptr, {a.desc()}, {c.desc()}) == BP_ERR_UNSUPPORTED);
  CHECK(harness::last_error().find("unknown op kind 77 (this build knows 1..24, ABI v" + abi_version() + ")") != std::string::npos);
  harness::plugin& p = harness::get();
  CHECK(p.api->op_execute(p.context, 0, nullptr, nullptr) == BP_ERR_INVALID_ARGUMENT);
  CHECK(harness::last_error() == "openblas-cpu op_execute: op is NULL");
}

TEST_CASE("check_op aliasing policy: element-wise ops may run in place, others may not; no partial overlap") {
  std::string why;
  // In place allowed: c = a for ADD.
  builder add;
  add.in({8}).in({8}).out({8});
  add.outs[0].data = add.ins[0].data;
  CHECK(bp::sdk::check_op(add.op(BP_OP_ADD, nullptr), true, &why) == BP_OK);
  // Partial overlap: c starts one element into a.
  add.outs[0].byte_offset = 4;
  CHECK(why_of(add.op(BP_OP_ADD, nullptr), BP_ERR_INVALID_ARGUMENT, true) ==
        "ADD output 0 (c) partially overlaps input 0 (a); views that share some but not all bytes are never allowed");
  // Capability queries (require_data = false) do not judge addresses.
  CHECK(bp::sdk::check_op(add.op(BP_OP_ADD, nullptr), false, &why) == BP_OK);

  bp_gemm_attrs g{sizeof(bp_gemm_attrs), 0, 0, 1.0f, 0.0f};
  builder gemm;
  gemm.in({2, 2}).in({2, 2}).out({2, 2});
  gemm.outs[0].data = gemm.ins[1].data;
  CHECK(why_of(gemm.op(BP_OP_GEMM, &g), BP_ERR_INVALID_ARGUMENT, true) ==
        "GEMM output 0 (c) aliases input 1 (b); GEMM cannot run in place (only element-wise ops may write over an input)");

  bp_adam_attrs a{sizeof(bp_adam_attrs), 1e-3f, 0.9f, 0.999f, 1e-7f, 1};
  builder adam;
  adam.in({4}).out({4}).out({4}).out({4});
  adam.outs[2].data = adam.outs[1].data;
  CHECK(why_of(adam.op(BP_OP_ADAM_UPDATE, &a), BP_ERR_INVALID_ARGUMENT, true) ==
        "ADAM_UPDATE output 1 (m) aliases output 2 (v); two outputs cannot share memory");

  bp_layout_attrs l{sizeof(bp_layout_attrs), BP_LAYOUT_NHWC};
  builder bias;
  bias.in({3, 4}).in({4}).out({3, 4});
  bias.outs[0].data = bias.ins[0].data;  // y = x: allowed
  CHECK(bp::sdk::check_op(bias.op(BP_OP_BIAS_ADD, &l), true, &why) == BP_OK);
  bias.ins[1].data = bias.ins[0].data;  // inputs may share memory (b is the first 4 floats of x)
  bias.outs[0].data = reinterpret_cast<void*>(uintptr_t(1) << 50);
  CHECK(bp::sdk::check_op(bias.op(BP_OP_BIAS_ADD, &l), true, &why) == BP_OK);
}

TEST_CASE("the plugin refuses GEMM with c aliasing a instead of computing garbage") {
  harness::tensor a({2, 2}), b({2, 2});
  a.set({1, 2, 3, 4}), b.set({1, 0, 0, 1});
  bp_gemm_attrs g{sizeof(bp_gemm_attrs), 0, 0, 1.0f, 0.0f};
  CHECK(harness::run(BP_OP_GEMM, &g, {a.desc(), b.desc()}, {a.desc()}) == BP_ERR_INVALID_ARGUMENT);
  CHECK(harness::last_error().find("GEMM output 0 (c) aliases input 0 (a)") != std::string::npos);
}
