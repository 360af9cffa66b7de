// backplane/nn/safetensors.hpp — the safetensors file format
// (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length N, N bytes of JSON ({"name": {"dtype", "shape",
// "data_offsets": [begin, end]}, ..., "__metadata__": {string: string}}),
// then the raw little-endian tensor data, offsets relative to its start.
//
// Reading checks everything before it allocates for the data: the header
// length against the file size, the JSON, every name, dtype, shape and
// offset, and that the tensors tile the data section exactly (no overlap, no
// hole, nothing after the last one). Each problem is a format_error whose
// message names it. The same checks serve files (Reader) and memory (parse).
#pragma once

#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace bp::nn::safetensors {

class format_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A header larger than this is refused (the reference implementation's limit).
inline constexpr uint64_t kMaxHeaderBytes = 100ull << 20;
// The key of the free-form string metadata.
inline constexpr const char* kMetadataKey = "__metadata__";

// Bytes per element of a safetensors dtype ("F32", "I64", "BF16", ...); 0 when unknown.
size_t dtype_size(const std::string& dtype);

struct TensorEntry {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // byte offsets into the data section
};

struct Header {
  std::vector<TensorEntry> tensors;  // ordered by data offset
  std::map<std::string, std::string> metadata;
  uint64_t header_bytes = 0;  // N
  uint64_t data_bytes = 0;    // what follows the header

  // The entry named `name`, or nullptr.
  const TensorEntry* find(const std::string& name) const;
};

// Checks the 8-byte length field against the total size; returns N.
uint64_t check_header_length(uint64_t declared, uint64_t total_bytes);
// Parses and checks the JSON header, given the size of the data section.
Header parse_header(const char* json, size_t size, uint64_t data_bytes);
// A whole file held in memory (length field, header, data).
Header parse(const uint8_t* bytes, size_t size);

// A file opened for reading: the header is read and checked on construction;
// tensor data is read on demand. Errors are format_errors prefixed with the path.
class Reader {
 public:
  explicit Reader(const std::string& path);
  const std::string& path() const { return path_; }
  const Header& header() const { return header_; }
  // The raw bytes of one entry of header().
  std::vector<uint8_t> read(const TensorEntry& entry) const;
  // An F32 entry's values (converted from little-endian).
  std::vector<float> read_f32(const TensorEntry& entry) const;

 private:
  std::string path_;
  Header header_;
  mutable std::ifstream file_;
};

// One tensor to write: F32 values in row-major order.
struct F32Tensor {
  std::string name;
  std::vector<int64_t> shape;
  const float* values = nullptr;
};

// The bytes of a safetensors file holding `tensors` (in this order) and `metadata`.
std::vector<uint8_t> serialize(const std::vector<F32Tensor>& tensors,
                               const std::map<std::string, std::string>& metadata);
// Writes serialize(...) to `path` through a temporary file renamed into place,
// so a failed save never leaves a half-written file under that name.
void write_file(const std::string& path, const std::vector<F32Tensor>& tensors,
                const std::map<std::string, std::string>& metadata);

}  // namespace bp::nn::safetensors
