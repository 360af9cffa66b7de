// emu_kernels.cpp — compiles the cudnn plugin's own kernel sources
// (plugins/cudnn/kernels/*.cu, unchanged) as C++ through simt.hpp and
// registers each with its exact parameter list, deduced from the definition:
// the launch reads each argument with the kernel's own type, so a host-side
// argument of the wrong type or count produces wrong results here as on a GPU.
#include "simt.hpp"
// The kernel sources, verbatim.
#include "elementwise.cu"
#include "loss.cu"
#include "optimizer.cu"
#include "reduce.cu"
// (simt.hpp's macros stay defined below; nothing here uses those names.)

#include <map>
#include <tuple>
#include <type_traits>
#include <utility>

#include "emu_kernels.hpp"

namespace bp_emu {
namespace {

template <typename... A, size_t... I>
std::function<void()> bind_args(void (*f)(A...), void** params, std::index_sequence<I...>) {
  std::tuple<std::decay_t<A>...> args{*static_cast<std::decay_t<A>*>(params[I])...};
  return [f, args] { std::apply(f, args); };
}

template <typename... A, size_t... I>
std::vector<const void*> pointers(void** params, std::index_sequence<I...>) {
  std::vector<const void*> out;
  auto take = [&](auto* typed_param) {
    using T = std::remove_pointer_t<decltype(typed_param)>;
    if constexpr (std::is_pointer_v<T>) out.push_back(static_cast<const void*>(*typed_param));
  };
  (take(static_cast<std::decay_t<A>*>(params[I])), ...);
  return out;
}

template <typename... A>
kernel_info make(const char* name, void (*f)(A...), bool cooperative) {
  kernel_info k;
  k.name = name;
  k.cooperative = cooperative;
  k.num_params = sizeof...(A);
  k.bind = [f](void** params) { return bind_args(f, params, std::index_sequence_for<A...>{}); };
  k.pointer_args = [](void** params) { return pointers<A...>(params, std::index_sequence_for<A...>{}); };
  return k;
}

const std::map<std::string, kernel_info>& registry() {
  static const std::map<std::string, kernel_info> kernels = [] {
    std::map<std::string, kernel_info> m;
    auto add = [&](kernel_info k) { m.emplace(k.name, std::move(k)); };
    // elementwise.cu
    add(make("bp_add_f32", bp_add_f32, false));
    add(make("bp_sub_f32", bp_sub_f32, false));
    add(make("bp_mul_f32", bp_mul_f32, false));
    add(make("bp_scale_f32", bp_scale_f32, false));
    add(make("bp_bias_add_f32", bp_bias_add_f32, false));
    add(make("bp_copy_strided_1", bp_copy_strided_1, false));
    add(make("bp_copy_strided_2", bp_copy_strided_2, false));
    add(make("bp_copy_strided_4", bp_copy_strided_4, false));
    add(make("bp_copy_strided_8", bp_copy_strided_8, false));
    // reduce.cu
    add(make("bp_reduce_axis_f32", bp_reduce_axis_f32, false));
    add(make("bp_reduce_all_f32", bp_reduce_all_f32, true));
    add(make("bp_bias_grad_f32", bp_bias_grad_f32, true));
    add(make("bp_argmax_f32", bp_argmax_f32, true));
    // loss.cu
    add(make("bp_softmax_xent_fwd_f32", bp_softmax_xent_fwd_f32, true));
    add(make("bp_softmax_xent_bwd_f32", bp_softmax_xent_bwd_f32, false));
    // optimizer.cu
    add(make("bp_adam_f32", bp_adam_f32, false));
    add(make("bp_sgd_f32", bp_sgd_f32, false));
    return m;
  }();
  return kernels;
}

}  // namespace

const kernel_info* find_kernel(const std::string& name) {
  const auto& r = registry();
  auto it = r.find(name);
  return it == r.end() ? nullptr : &it->second;
}

}  // namespace bp_emu
