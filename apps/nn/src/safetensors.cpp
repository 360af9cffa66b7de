#include "backplane/nn/safetensors.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace bp::nn::safetensors {
namespace {

using json = nlohmann::json;

// The largest safetensors shape rank we accept; real files use at most 8 or so.
constexpr size_t kMaxRank = 64;

std::string quote_name(const std::string& name) {
  // Names come from the file: keep control bytes out of the message.
  std::string out = "'";
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (out.size() > 130) out = out.substr(0, 120) + "...";
  return out + "'";
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + (shape.size() == 1 ? ",)" : ")");
}

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

void put_u64_le(uint64_t v, uint8_t* p) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// Rejects what the format does not allow before the DOM is built: nesting
// deeper than shape arrays inside entries, and a name given twice (the
// JSON parser would silently keep the last one).
class StructureCheck {
 public:
  bool operator()(int depth, json::parse_event_t event, json& parsed) {
    if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) && depth >= 3)
      throw format_error("header: values nest deeper than the format allows");
    if (event == json::parse_event_t::object_start && depth == 1) entry_keys_.clear();
    if (event == json::parse_event_t::key && parsed.is_string()) {
      const std::string& key = parsed.get_ref<const std::string&>();
      if (depth == 1 && !top_keys_.insert(key).second)
        throw format_error("header: tensor " + quote_name(key) + " is listed twice");
      if (depth == 2 && !entry_keys_.insert(key).second)
        throw format_error("header: field " + quote_name(key) + " is given twice in one entry");
    }
    return true;
  }

 private:
  std::set<std::string> top_keys_, entry_keys_;
};

uint64_t unsigned_field(const json& value, const std::string& what) {
  if (!value.is_number_unsigned()) throw format_error("header: " + what + " is not a non-negative integer");
  return value.get<uint64_t>();
}

TensorEntry parse_entry(const std::string& name, const json& spec) {
  const std::string where = "tensor " + quote_name(name);
  if (!spec.is_object()) throw format_error("header: " + where + " is not an object");
  TensorEntry entry;
  entry.name = name;
  for (const auto& [key, value] : spec.items())
    if (key != "dtype" && key != "shape" && key != "data_offsets")
      throw format_error("header: " + where + " has an unknown field " + quote_name(key));
  if (!spec.contains("dtype") || !spec["dtype"].is_string())
    throw format_error("header: " + where + " has no dtype string");
  entry.dtype = spec["dtype"].get<std::string>();
  const size_t element = dtype_size(entry.dtype);
  if (element == 0) throw format_error("header: " + where + " has an unknown dtype " + quote_name(entry.dtype));
  if (!spec.contains("shape") || !spec["shape"].is_array())
    throw format_error("header: " + where + " has no shape array");
  if (spec["shape"].size() > kMaxRank)
    throw format_error("header: " + where + " has " + std::to_string(spec["shape"].size()) + " dimensions");
  // The byte count of the shape, with every product checked for overflow.
  uint64_t bytes = element;
  bool overflow = false, empty = false;
  for (const json& d : spec["shape"]) {
    const uint64_t extent = unsigned_field(d, where + " shape entry");
    if (extent > static_cast<uint64_t>(INT64_MAX)) overflow = true;
    entry.shape.push_back(static_cast<int64_t>(std::min<uint64_t>(extent, INT64_MAX)));
    if (extent == 0) empty = true;
    else if (bytes > UINT64_MAX / extent) overflow = true;
    else bytes *= extent;
  }
  if (empty) bytes = 0;
  overflow = overflow && !empty;
  if (!spec.contains("data_offsets") || !spec["data_offsets"].is_array() || spec["data_offsets"].size() != 2)
    throw format_error("header: " + where + " has no data_offsets [begin, end]");
  entry.begin = unsigned_field(spec["data_offsets"][0], where + " data_offsets begin");
  entry.end = unsigned_field(spec["data_offsets"][1], where + " data_offsets end");
  if (entry.end < entry.begin)
    throw format_error("header: " + where + " data_offsets [" + std::to_string(entry.begin) + ", " +
                       std::to_string(entry.end) + ") end before they begin");
  if (overflow || entry.end - entry.begin != bytes)
    throw format_error("header: " + where + " data_offsets [" + std::to_string(entry.begin) + ", " +
                       std::to_string(entry.end) + ") hold " + std::to_string(entry.end - entry.begin) +
                       " bytes but " + entry.dtype + " " + shape_text(entry.shape) + " needs " +
                       (overflow ? std::string("more than 2^64") : std::to_string(bytes)));
  return entry;
}

}  // namespace

size_t dtype_size(const std::string& dtype) {
  static const std::map<std::string, size_t> sizes = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E4M3", 1}, {"F8_E5M2", 1}, {"U16", 2},
      {"I16", 2},  {"F16", 2}, {"BF16", 2}, {"U32", 4},    {"I32", 4},     {"F32", 4},
      {"U64", 8},  {"I64", 8}, {"F64", 8}};
  const auto it = sizes.find(dtype);
  return it == sizes.end() ? 0 : it->second;
}

const TensorEntry* Header::find(const std::string& name) const {
  for (const TensorEntry& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

uint64_t check_header_length(uint64_t declared, uint64_t total_bytes) {
  if (total_bytes < 8)
    throw format_error("truncated: " + std::to_string(total_bytes) +
                       " bytes, too short for the 8-byte header length");
  if (declared > kMaxHeaderBytes)
    throw format_error("header length " + std::to_string(declared) + " exceeds the limit of " +
                       std::to_string(kMaxHeaderBytes) + " bytes");
  if (declared > total_bytes - 8)
    throw format_error("truncated: the header length says " + std::to_string(declared) + " bytes but only " +
                       std::to_string(total_bytes - 8) + " follow");
  if (declared < 2) throw format_error("header length " + std::to_string(declared) + " is too small for a JSON object");
  return declared;
}

Header parse_header(const char* text, size_t size, uint64_t data_bytes) {
  json root;
  try {
    root = json::parse(text, text + size, StructureCheck());
  } catch (const json::exception& e) {
    throw format_error(std::string("header: malformed JSON: ") + e.what());
  }
  if (!root.is_object()) throw format_error("header: not a JSON object");
  Header header;
  header.header_bytes = size;
  header.data_bytes = data_bytes;
  for (const auto& [name, spec] : root.items()) {
    if (name == kMetadataKey) {
      if (!spec.is_object()) throw format_error("header: __metadata__ is not an object");
      for (const auto& [key, value] : spec.items()) {
        if (!value.is_string()) throw format_error("header: __metadata__ " + quote_name(key) + " is not a string");
        header.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    header.tensors.push_back(parse_entry(name, spec));
  }
  // The tensors must tile the data section: sorted by offset, each begins
  // where the previous ended, and the last one ends at the end of the file.
  std::sort(header.tensors.begin(), header.tensors.end(), [](const TensorEntry& a, const TensorEntry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t covered = 0;
  const TensorEntry* previous = nullptr;
  for (const TensorEntry& t : header.tensors) {
    const std::string range = "[" + std::to_string(t.begin) + ", " + std::to_string(t.end) + ")";
    if (t.end > data_bytes)
      throw format_error("truncated: tensor " + quote_name(t.name) + " needs bytes " + range + " of the data but the file holds " +
                         std::to_string(data_bytes));
    if (t.begin < covered)
      throw format_error("header: tensors " + quote_name(previous->name) + " and " + quote_name(t.name) + " overlap (" + range +
                         " begins before " + std::to_string(covered) + ")");
    if (t.begin > covered)
      throw format_error("header: bytes [" + std::to_string(covered) + ", " + std::to_string(t.begin) +
                         ") of the data belong to no tensor (before " + quote_name(t.name) + ")");
    covered = t.end;
    previous = &t;
  }
  if (covered != data_bytes)
    throw format_error("oversized: " + std::to_string(data_bytes - covered) +
                       " bytes of data after the last tensor (the header accounts for " + std::to_string(covered) +
                       " of " + std::to_string(data_bytes) + ")");
  return header;
}

Header parse(const uint8_t* bytes, size_t size) {
  const uint64_t n = check_header_length(size >= 8 ? read_u64_le(bytes) : 0, size);
  return parse_header(reinterpret_cast<const char*>(bytes + 8), static_cast<size_t>(n), size - 8 - n);
}

Reader::Reader(const std::string& path) : path_(path) {
  file_.open(path, std::ios::binary);
  if (!file_) throw format_error(path + ": cannot open: " + std::strerror(errno));
  try {
    file_.seekg(0, std::ios::end);
    const std::streamoff total = file_.tellg();
    if (total < 0) throw format_error("cannot tell the file size (not a regular file?)");
    file_.seekg(0);
    uint8_t length[8] = {};
    if (total >= 8 && !file_.read(reinterpret_cast<char*>(length), 8)) throw format_error("cannot read the header length");
    const uint64_t n = check_header_length(read_u64_le(length), static_cast<uint64_t>(total));
    std::string text(static_cast<size_t>(n), '\0');
    if (!file_.read(text.data(), static_cast<std::streamsize>(n))) throw format_error("cannot read the header");
    header_ = parse_header(text.data(), text.size(), static_cast<uint64_t>(total) - 8 - n);
  } catch (const format_error& e) {
    throw format_error(path + ": " + e.what());
  }
}

std::vector<uint8_t> Reader::read(const TensorEntry& entry) const {
  std::vector<uint8_t> bytes(static_cast<size_t>(entry.end - entry.begin));
  file_.clear();
  file_.seekg(static_cast<std::streamoff>(8 + header_.header_bytes + entry.begin));
  if (!bytes.empty() && !file_.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size())))
    throw format_error(path_ + ": tensor " + quote_name(entry.name) + ": the file ended early (was it changed while being read?)");
  return bytes;
}

std::vector<float> Reader::read_f32(const TensorEntry& entry) const {
  if (entry.dtype != "F32") throw format_error(path_ + ": tensor " + quote_name(entry.name) + " is " + entry.dtype + ", not F32");
  const std::vector<uint8_t> bytes = read(entry);
  std::vector<float> values(bytes.size() / 4);
  for (size_t i = 0; i < values.size(); ++i) {
    const uint8_t* p = bytes.data() + 4 * i;
    const uint32_t bits = uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
    std::memcpy(&values[i], &bits, 4);
  }
  return values;
}

std::vector<uint8_t> serialize(const std::vector<F32Tensor>& tensors, const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) header[kMetadataKey] = metadata;
  uint64_t offset = 0;
  for (const F32Tensor& t : tensors) {
    if (t.name == kMetadataKey || header.contains(t.name))
      throw std::invalid_argument("safetensors: tensor name " + quote_name(t.name) + " is reserved or repeated");
    uint64_t count = 1;
    for (int64_t d : t.shape) {
      if (d < 0) throw std::invalid_argument("safetensors: tensor " + quote_name(t.name) + " has a negative extent");
      count *= static_cast<uint64_t>(d);
    }
    header[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + 4 * count}}};
    offset += 4 * count;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // the format allows padding the header with spaces
  std::vector<uint8_t> out(8 + text.size() + offset);
  put_u64_le(text.size(), out.data());
  std::memcpy(out.data() + 8, text.data(), text.size());
  uint8_t* p = out.data() + 8 + text.size();
  for (const F32Tensor& t : tensors) {
    uint64_t count = 1;
    for (int64_t d : t.shape) count *= static_cast<uint64_t>(d);
    for (uint64_t i = 0; i < count; ++i, p += 4) {
      uint32_t bits;
      std::memcpy(&bits, t.values + i, 4);
      for (int b = 0; b < 4; ++b) p[b] = static_cast<uint8_t>(bits >> (8 * b));
    }
  }
  return out;
}

void write_file(const std::string& path, const std::vector<F32Tensor>& tensors,
                const std::map<std::string, std::string>& metadata) {
  const std::vector<uint8_t> bytes = serialize(tensors, metadata);
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  std::FILE* f = std::fopen(temporary.c_str(), "wb");
  if (!f) throw std::runtime_error(path + ": cannot write: " + std::strerror(errno));
  const bool written = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  const int write_errno = errno;
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed) {
    std::remove(temporary.c_str());
    throw std::runtime_error(path + ": cannot write: " + std::strerror(written ? errno : write_errno));
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const int rename_errno = errno;
    std::remove(temporary.c_str());
    throw std::runtime_error(path + ": cannot write: " + std::strerror(rename_errno));
  }
}

}  // namespace bp::nn::safetensors
