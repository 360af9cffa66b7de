// gpu_device_test.cpp — the cudnn plugin's device side through the core's
// API: device properties from the driver, the memory cap
// (BACKPLANE_GPU_MEMORY_LIMIT) failing cleanly with the sizes, and the
// caching allocator handing freed blocks back out. They run on a GPU, on
// the emulated CUDA stack (cudnn.emu_device_*), and skip visibly elsewhere.
#include <cstdlib>
#include <string>
#include <vector>

#include "runtime_support.hpp"

namespace {

bp_device_props props_of(bp::runtime& rt) {
  bp_device_props p{};
  p.struct_size = sizeof p;
  bp::check(bp_runtime_device_props(rt.get(), &p));
  return p;
}

}  // namespace

TEST_CASE("GPU device: properties come from the driver") {
  auto gpu = cudnn_test::gpu_runtime_or_skip();
  if (!gpu) return;
  const bp_device_props p = props_of(*gpu);
  CHECK(p.kind == BP_DEVICE_KIND_GPU);
  CHECK(p.device.device_type == BP_DEVICE_CUDA);
  CHECK(std::string(p.name).size() > 0);
  CHECK(p.compute_major >= 8);  // the embedded kernels are sm_80 and newer
  CHECK(std::string(p.capability) == "sm_" + std::to_string(p.compute_major) + std::to_string(p.compute_minor));
  CHECK(p.memory_total > 0);
  CHECK(p.memory_free > 0);
  CHECK(p.memory_free <= p.memory_total);
  CHECK(p.driver_version >= 13000);
  CHECK(p.runtime_version >= 13000);
  MESSAGE(p.name << ", " << p.capability << ", " << p.memory_total / (1 << 20) << " MiB, driver "
                 << p.driver_version << ", runtime " << p.runtime_version);
}

TEST_CASE("GPU memory: the cap fails cleanly with the sizes, and freed blocks are reused") {
  ::setenv("BACKPLANE_GPU_MEMORY_LIMIT", "4MiB", 1);
  auto gpu = cudnn_test::gpu_runtime_or_skip(/*use_environment=*/true);
  ::unsetenv("BACKPLANE_GPU_MEMORY_LIMIT");
  if (!gpu) return;
  bp::runtime& rt = *gpu;
  // 3 MiB fits under the 4 MiB cap; 8 MiB does not, and says so with the sizes.
  {
    bp::tensor fits(rt, bp::f32, {3 << 18});
    bp_tensor_t too_big = nullptr;
    const int64_t shape[1] = {8 << 18};
    const bp_status s = bp_tensor_create(rt.get(), bp::f32, 1, shape, &too_big);
    CHECK(s == BP_ERR_OUT_OF_MEMORY);
    CHECK(too_big == nullptr);
    const std::string why = bp_last_error_message();
    CAPTURE(why);
    CHECK(why.find("requested 8.00 MiB") != std::string::npos);
    CHECK(why.find("limit 4.00 MiB") != std::string::npos);
    CHECK(why.find("BACKPLANE_GPU_MEMORY_LIMIT") != std::string::npos);
    // The runtime is still usable after the refusal: the 3 MiB tensor round-trips.
    std::vector<float> data(size_t(3 << 18), 1.5f), back(data.size(), 0.0f);
    fits.write(data);
    bp::check(bp_tensor_read(fits.get(), back.data(), back.size() * 4));
    CHECK(back == data);
  }
  // Freed blocks go back to the cache and come out again: 200 allocations of
  // 3 MiB under a 4 MiB cap only work if each reuses the previous block.
  const uint64_t free_before = props_of(rt).memory_free;
  for (int i = 0; i < 200; ++i) {
    bp::tensor t(rt, bp::f32, {3 << 18});
    REQUIRE(t.get() != nullptr);
  }
  CHECK(props_of(rt).memory_free == free_before);
}

