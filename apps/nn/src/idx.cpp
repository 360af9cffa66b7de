// IDX reader (the MNIST / Fashion-MNIST file format) over zlib's gz* API,
// which reads gzip-compressed and plain files alike.
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <vector>

#include "backplane/nn/dataset.hpp"

namespace bp::nn {
namespace {

constexpr uint32_t kIdxUbyteImages = 0x00000803;  // unsigned byte, 3 dimensions
constexpr uint32_t kIdxUbyteLabels = 0x00000801;  // unsigned byte, 1 dimension

std::string hex32(uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", value);
  return text;
}

struct GzCloser {
  void operator()(gzFile_s* file) const { gzclose(file); }
};

// One IDX file being read; every failure names the file.
class IdxReader {
 public:
  explicit IdxReader(std::string path) : path_(std::move(path)) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path_, ec))
      throw dataset_error(path_ + ": file not found");
    file_size_ = std::filesystem::file_size(path_, ec);
    if (ec) throw dataset_error(path_ + ": cannot read its size (" + ec.message() + ")");
    file_.reset(gzopen(path_.c_str(), "rb"));
    if (!file_) throw dataset_error(path_ + ": cannot open for reading");
  }

  // Reads `bytes` bytes of payload. A header is only a claim: before anything
  // is allocated, the claim is checked against what the file can hold (its
  // size when stored plainly; 1032x its size when gzip-compressed, deflate's
  // maximum ratio), so a crafted 60-byte header cannot make us allocate and
  // zero gigabytes before the truncation is noticed.
  std::vector<unsigned char> read_payload(uint64_t bytes, const std::string& what) {
    const bool plain = gzdirect(file_.get()) == 1;
    const uint64_t offset = static_cast<uint64_t>(gztell(file_.get()));
    const uint64_t left = file_size_ > offset ? file_size_ - offset : 0;
    constexpr uint64_t kDeflateMaxRatio = 1032;
    const uint64_t most = plain ? left : (file_size_ > UINT64_MAX / kDeflateMaxRatio ? UINT64_MAX : file_size_ * kDeflateMaxRatio);
    if (bytes > most)
      throw dataset_error(path_ + ": truncated: " + what + " needs " + std::to_string(bytes) + " bytes, but the " +
                          (plain ? "file has " + std::to_string(left) + " bytes left"
                                 : "gzip file of " + std::to_string(file_size_) + " bytes can hold at most " +
                                       std::to_string(most)));
    std::vector<unsigned char> out(bytes);
    read_exact(out.data(), bytes, what);
    return out;
  }

  uint32_t read_u32_be(const char* what) {
    unsigned char bytes[4];
    read_exact(bytes, 4, what);
    return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) | bytes[3];
  }

  void expect_magic(uint32_t expected, const char* kind) {
    const uint32_t magic = read_u32_be("the magic number");
    if (magic != expected)
      throw dataset_error(path_ + ": bad magic " + hex32(magic) + " (expected " + hex32(expected) + ", " + kind +
                          ")");
  }

  void read_exact(void* dst, uint64_t bytes, const std::string& what) {
    auto* out = static_cast<unsigned char*>(dst);
    uint64_t got = 0;
    while (got < bytes) {
      const unsigned chunk = static_cast<unsigned>(std::min<uint64_t>(bytes - got, 1u << 30));
      const int n = gzread(file_.get(), out + got, chunk);
      if (n < 0) {
        int code = 0;
        const char* message = gzerror(file_.get(), &code);
        throw dataset_error(path_ + ": corrupt or truncated while reading " + what + " (" +
                            (message ? message : "zlib error") + ")");
      }
      if (n == 0) break;
      got += static_cast<uint64_t>(n);
    }
    if (got != bytes)
      throw dataset_error(path_ + ": truncated: " + what + " needs " + std::to_string(bytes) + " bytes, found " +
                          std::to_string(got));
  }

  void expect_end() {
    unsigned char extra;
    const int n = gzread(file_.get(), &extra, 1);
    if (n > 0) throw dataset_error(path_ + ": unexpected data after the last record (wrong count in the header?)");
    if (n < 0) {
      int code = 0;
      const char* message = gzerror(file_.get(), &code);
      throw dataset_error(path_ + ": corrupt or truncated at the end (" + (message ? message : "zlib error") + ")");
    }
  }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  uint64_t file_size_ = 0;
  std::unique_ptr<gzFile_s, GzCloser> file_;
};

}  // namespace

Dataset load_idx_pair(const std::string& images_path, const std::string& labels_path, int32_t num_classes,
                      const std::string& name) {
  IdxReader images(images_path);
  images.expect_magic(kIdxUbyteImages, "an IDX file of unsigned-byte images N x rows x cols");
  const uint32_t count = images.read_u32_be("the image count");
  const uint32_t rows = images.read_u32_be("the row count");
  const uint32_t cols = images.read_u32_be("the column count");
  if (rows == 0 || cols == 0 || rows > 4096 || cols > 4096)
    throw dataset_error(images_path + ": implausible image size " + std::to_string(rows) + "x" + std::to_string(cols));

  IdxReader labels(labels_path);
  labels.expect_magic(kIdxUbyteLabels, "an IDX file of unsigned-byte labels");
  const uint32_t label_count = labels.read_u32_be("the label count");
  if (label_count != count)
    throw dataset_error("count mismatch: " + images_path + " holds " + std::to_string(count) + " images but " +
                        labels_path + " holds " + std::to_string(label_count) + " labels");

  const uint64_t pixels = uint64_t{count} * rows * cols;
  const std::vector<unsigned char> raw = images.read_payload(
      pixels, "pixel data of " + std::to_string(count) + " images of " + std::to_string(rows) + "x" +
                  std::to_string(cols));
  images.expect_end();
  const std::vector<unsigned char> raw_labels = labels.read_payload(count, std::to_string(count) + " labels");
  labels.expect_end();

  Dataset data;
  data.name = name;
  data.count = count;
  data.height = rows;
  data.width = cols;
  data.channels = 1;
  data.num_classes = num_classes;
  data.images.resize(pixels);
  for (uint64_t i = 0; i < pixels; ++i) data.images[i] = static_cast<float>(raw[i]) * (1.0f / 255.0f);
  data.labels.resize(count);
  for (uint32_t i = 0; i < count; ++i) {
    if (raw_labels[i] >= num_classes)
      throw dataset_error(labels_path + ": label " + std::to_string(raw_labels[i]) + " at index " +
                          std::to_string(i) + " is outside [0, " + std::to_string(num_classes) + ")");
    data.labels[i] = raw_labels[i];
  }
  return data;
}

TrainTestSplit load_fashion_mnist(const std::string& directory) {
  namespace fs = std::filesystem;
  const char* files[] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                         "t10k-labels-idx1-ubyte.gz"};
  std::error_code ec;
  for (const char* file : files) {
    const fs::path path = fs::path(directory) / file;
    if (!fs::is_regular_file(path, ec))
      throw dataset_error("Fashion-MNIST: " + path.string() + " not found (" +
                          (fs::is_directory(directory, ec) ? "folder exists, file missing" : "no such folder") +
                          "); install the Debian package dataset-fashion-mnist or pass --dataset fashion-mnist=DIR");
  }
  const auto at = [&](const char* file) { return (fs::path(directory) / file).string(); };
  return {load_idx_pair(at(files[0]), at(files[1]), 10, "fashion-mnist-train"),
          load_idx_pair(at(files[2]), at(files[3]), 10, "fashion-mnist-test")};
}

}  // namespace bp::nn
