// safetensors_fuzzer — the safetensors reader of backplane_nn
// (apps/nn/src/safetensors.cpp, compiled in), on arbitrary bytes.
//
// Invariants: parse() never crashes and either throws format_error with a
// message or returns a header whose tensors have known dtypes, byte counts
// equal to dtype size x shape, and tile the data section exactly; a parsed
// F32 file written back by serialize() parses to the same tensors.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "backplane/nn/safetensors.hpp"

namespace {

[[noreturn]] void violated(const char* what, const std::string& detail) {
  std::fprintf(stderr, "safetensors_fuzzer: invariant violated: %s: %s\n", what, detail.c_str());
  std::abort();
}

namespace st = bp::nn::safetensors;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  st::Header header;
  try {
    header = st::parse(data, size);
  } catch (const st::format_error& e) {
    if (std::string(e.what()).empty()) violated("format_error", "without a message");
    return 0;
  }
  uint64_t covered = 0;
  bool all_f32 = true;
  for (const st::TensorEntry& t : header.tensors) {
    const size_t element = st::dtype_size(t.dtype);
    if (element == 0) violated("accepted unknown dtype", t.dtype);
    uint64_t bytes = element;
    for (int64_t d : t.shape) {
      if (d < 0) violated("negative extent", t.name);
      bytes *= static_cast<uint64_t>(d);  // checked by the parser: cannot overflow here
    }
    if (t.end - t.begin != bytes) violated("byte count", t.name);
    if (t.begin != covered) violated("not tiled", t.name);
    covered = t.end;
    all_f32 = all_f32 && t.dtype == "F32";
  }
  if (covered != header.data_bytes) violated("data not covered", std::to_string(covered));
  if (8 + header.header_bytes + header.data_bytes != size) violated("sizes", std::to_string(size));
  if (!all_f32) return 0;

  // Round trip through the writer.
  const uint8_t* section = data + 8 + header.header_bytes;
  std::vector<std::vector<float>> values;
  std::vector<st::F32Tensor> tensors;
  for (const st::TensorEntry& t : header.tensors) {
    values.emplace_back((t.end - t.begin) / 4);
    for (size_t i = 0; i < values.back().size(); ++i) {
      const uint8_t* p = section + t.begin + 4 * i;
      const uint32_t bits = uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
      __builtin_memcpy(&values.back()[i], &bits, 4);
    }
  }
  for (size_t i = 0; i < header.tensors.size(); ++i)
    tensors.push_back({header.tensors[i].name, header.tensors[i].shape, values[i].data()});
  std::vector<uint8_t> again;
  try {
    again = st::serialize(tensors, header.metadata);
  } catch (const std::exception& e) {
    violated("serialize rejected a parsed file", e.what());
  }
  st::Header reparsed;
  try {
    reparsed = st::parse(again.data(), again.size());
  } catch (const st::format_error& e) {
    violated("written file does not parse", e.what());
  }
  if (reparsed.tensors.size() != header.tensors.size() || reparsed.metadata != header.metadata)
    violated("round trip", "tensors or metadata differ");
  for (const st::TensorEntry& t : header.tensors) {
    const st::TensorEntry* back = reparsed.find(t.name);
    if (!back || back->shape != t.shape || back->dtype != "F32") violated("round trip", t.name);
  }
  if (reparsed.data_bytes != header.data_bytes ||
      std::string(again.end() - static_cast<std::ptrdiff_t>(reparsed.data_bytes), again.end()) !=
          std::string(section, section + header.data_bytes))
    violated("round trip", "data differs");
  return 0;
}
