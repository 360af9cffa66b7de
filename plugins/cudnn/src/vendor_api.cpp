#include "vendor_api.hpp"

#include <dlfcn.h>

namespace bp::cudnn {

#define BP_SYMBOL_NAME(f) names.emplace_back(BP_CUDNN_STR(f));
#define BP_RESOLVE_MEMBER(f)                                                  \
  api.f = reinterpret_cast<decltype(api.f)>(::dlsym(handle, BP_CUDNN_STR(f))); \
  if (!api.f && missing.empty()) missing = BP_CUDNN_STR(f);

std::vector<std::string> driver_symbols() {
  std::vector<std::string> names;
  BP_DRIVER_FUNCS(BP_SYMBOL_NAME)
  return names;
}
std::vector<std::string> cublas_symbols() {
  std::vector<std::string> names;
  BP_CUBLAS_FUNCS(BP_SYMBOL_NAME)
  return names;
}
std::vector<std::string> cudnn_symbols() {
  std::vector<std::string> names;
  BP_CUDNN_FUNCS(BP_SYMBOL_NAME)
  return names;
}

std::string resolve(void* handle, driver_api& api) {
  std::string missing;
  BP_DRIVER_FUNCS(BP_RESOLVE_MEMBER)
  return missing;
}
std::string resolve(void* handle, cublas_api& api) {
  std::string missing;
  BP_CUBLAS_FUNCS(BP_RESOLVE_MEMBER)
  return missing;
}
std::string resolve(void* handle, cudnn_api& api) {
  std::string missing;
  BP_CUDNN_FUNCS(BP_RESOLVE_MEMBER)
  return missing;
}

}  // namespace bp::cudnn
