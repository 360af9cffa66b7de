// IDX (MNIST-format) reading: a small gzip pair written here, every
// malformed variant with its exact error, and the real Fashion-MNIST files
// when the Debian package is installed.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <new>
#include <numeric>

#include "train_support.hpp"

namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<unsigned char>;

void put_u32(Bytes& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<unsigned char>(v >> shift));
}

Bytes idx_images(uint32_t magic, uint32_t count, uint32_t rows, uint32_t cols, size_t pixels) {
  Bytes out;
  put_u32(out, magic);
  put_u32(out, count);
  put_u32(out, rows);
  put_u32(out, cols);
  for (size_t i = 0; i < pixels; ++i) out.push_back(static_cast<unsigned char>(i * 17 % 256));
  return out;
}

Bytes idx_labels(uint32_t magic, uint32_t count, const Bytes& labels) {
  Bytes out;
  put_u32(out, magic);
  put_u32(out, count);
  out.insert(out.end(), labels.begin(), labels.end());
  return out;
}

// A scratch folder removed at the end of the test.
struct ScratchDir {
  fs::path path;
  ScratchDir() {
    path = fs::temp_directory_path() / ("bp-idx-test-" + std::to_string(::getpid()));
    fs::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string gz(const std::string& name, const Bytes& bytes) const {
    const std::string file = (path / name).string();
    gzFile out = gzopen(file.c_str(), "wb");
    REQUIRE(out != nullptr);
    REQUIRE(gzwrite(out, bytes.data(), static_cast<unsigned>(bytes.size())) == static_cast<int>(bytes.size()));
    gzclose(out);
    return file;
  }
  std::string plain(const std::string& name, const Bytes& bytes) const {
    const std::string file = (path / name).string();
    std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                static_cast<std::streamsize>(bytes.size()));
    return file;
  }
};

std::string error_of(const std::string& images, const std::string& labels) {
  try {
    bp::nn::load_idx_pair(images, labels, 10, "test");
  } catch (const bp::nn::dataset_error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("a gzip IDX pair loads, scaled to [0, 1]") {
  ScratchDir dir;
  const auto images = dir.gz("img.gz", idx_images(0x803, 3, 2, 4, 24));
  const auto labels = dir.gz("lbl.gz", idx_labels(0x801, 3, {7, 0, 9}));
  const bp::nn::Dataset data = bp::nn::load_idx_pair(images, labels, 10, "tiny");
  CHECK(data.count == 3);
  CHECK(data.height == 2);
  CHECK(data.width == 4);
  CHECK(data.channels == 1);
  CHECK(data.labels == std::vector<int32_t>{7, 0, 9});
  REQUIRE(data.images.size() == 24);
  for (size_t i = 0; i < 24; ++i) CHECK(data.images[i] == doctest::Approx((i * 17 % 256) / 255.0));
  data.validate();
  // zlib reads uncompressed files too.
  const auto plain = dir.plain("img.raw", idx_images(0x803, 3, 2, 4, 24));
  CHECK(bp::nn::load_idx_pair(plain, labels, 10, "plain").images == data.images);
}

TEST_CASE("malformed IDX files give an error naming the file and the problem") {
  ScratchDir dir;
  const auto good_images = dir.gz("good-img.gz", idx_images(0x803, 3, 2, 4, 24));
  const auto good_labels = dir.gz("good-lbl.gz", idx_labels(0x801, 3, {1, 2, 3}));

  const auto bad_magic = dir.gz("magic.gz", idx_images(0x801, 3, 2, 4, 24));
  CHECK(error_of(bad_magic, good_labels) ==
        bad_magic + ": bad magic 0x00000801 (expected 0x00000803, an IDX file of unsigned-byte images N x rows x cols)");
  const auto labels_as_images = dir.gz("swapped.gz", idx_labels(0x803, 3, {1, 2, 3}));
  CHECK(error_of(good_images, labels_as_images) ==
        labels_as_images + ": bad magic 0x00000803 (expected 0x00000801, an IDX file of unsigned-byte labels)");

  const auto truncated = dir.gz("short.gz", idx_images(0x803, 3, 2, 4, 20));
  CHECK(error_of(truncated, good_labels) ==
        truncated + ": truncated: pixel data of 3 images of 2x4 needs 24 bytes, found 20");
  const auto short_header = dir.gz("header.gz", Bytes{0, 0, 8, 3, 0, 0});
  CHECK(error_of(short_header, good_labels) == short_header + ": truncated: the image count needs 4 bytes, found 2");

  const auto two_labels = dir.gz("two.gz", idx_labels(0x801, 2, {1, 2}));
  CHECK(error_of(good_images, two_labels) == "count mismatch: " + good_images + " holds 3 images but " +
                                                 two_labels + " holds 2 labels");

  const auto out_of_range = dir.gz("range.gz", idx_labels(0x801, 3, {1, 12, 3}));
  CHECK(error_of(good_images, out_of_range) == out_of_range + ": label 12 at index 1 is outside [0, 10)");

  const auto trailing = dir.gz("trailing.gz", idx_images(0x803, 3, 2, 4, 25));
  CHECK(error_of(trailing, good_labels) ==
        trailing + ": unexpected data after the last record (wrong count in the header?)");

  const std::string missing = (dir.path / "absent.gz").string();
  CHECK(error_of(missing, good_labels) == missing + ": file not found");

  // A gzip stream cut in the middle: zlib notices the missing end of stream.
  Bytes whole;
  {
    const auto file = dir.gz("whole.gz", idx_images(0x803, 3, 2, 4, 24));
    std::ifstream in(file, std::ios::binary);
    whole.assign(std::istreambuf_iterator<char>(in), {});
  }
  const auto cut = dir.plain("cut.gz", Bytes(whole.begin(), whole.begin() + static_cast<long>(whole.size() / 2)));
  const std::string cut_error = error_of(cut, good_labels);
  CHECK(cut_error.rfind(cut + ": ", 0) == 0);
  CHECK((cut_error.find("truncated") != std::string::npos || cut_error.find("corrupt") != std::string::npos));
}

TEST_CASE("a missing Fashion-MNIST folder names the file and the Debian package") {
  const std::string where = (fs::temp_directory_path() / "bp-no-such-dataset").string();
  try {
    bp::nn::load_fashion_mnist(where);
    FAIL("expected an error");
  } catch (const bp::nn::dataset_error& e) {
    const std::string text = e.what();
    CHECK(text.find(where + "/train-images-idx3-ubyte.gz not found (no such folder)") != std::string::npos);
    CHECK(text.find("install the Debian package dataset-fashion-mnist or pass --dataset fashion-mnist=DIR") !=
          std::string::npos);
  }
}

TEST_CASE("the installed Fashion-MNIST files load (60000 + 10000 images, 10 balanced classes)") {
  const std::string dir = BACKPLANE_FASHION_MNIST_DIR;
  if (!fs::exists(fs::path(dir) / "train-images-idx3-ubyte.gz")) {
    BP_SKIP("" << dir << " has no Fashion-MNIST (install the Debian package dataset-fashion-mnist)");
    return;
  }
  const bp::nn::TrainTestSplit data = bp::nn::load_fashion_mnist(dir);
  CHECK(data.train.count == 60000);
  CHECK(data.test.count == 10000);
  CHECK(data.train.height == 28);
  CHECK(data.train.width == 28);
  CHECK(data.train.channels == 1);
  std::vector<int64_t> per_class(10, 0);
  for (int32_t label : data.train.labels) ++per_class[static_cast<size_t>(label)];
  for (int64_t n : per_class) CHECK(n == 6000);
  const auto [low, high] = std::minmax_element(data.train.images.begin(), data.train.images.end());
  CHECK(*low == 0.0f);
  CHECK(*high == 1.0f);
}

// A header is only a claim: a ~60-byte file claiming 2 GiB of pixels is
// reported as truncated before anything that large is allocated. The load
// runs in a child whose address space is capped at 512 MiB above its current
// size, so allocating the claimed size would fail there with bad_alloc.
TEST_CASE("a crafted IDX header cannot make the reader allocate what the file cannot hold") {
  ScratchDir dir;
  const uint32_t count = 2738000;  // 2738000 x 28 x 28 = 2.1 GB of pixels
  const auto good_labels = dir.gz("labels.gz", idx_labels(0x801, 3, {1, 2, 3}));
  const auto big_labels = dir.gz("big-labels.gz", idx_labels(0x801, count, {}));
  const auto gz = dir.gz("crafted.gz", idx_images(0x803, count, 28, 28, 8));
  const auto plain = dir.plain("crafted.raw", idx_images(0x803, count, 28, 28, 8));
  CHECK(error_of(gz, big_labels).rfind(gz + ": truncated: pixel data of 2738000 images of 28x28 needs 2146592000 "
                                       "bytes, but the gzip file of ", 0) == 0);
  CHECK(error_of(plain, big_labels) == plain + ": truncated: pixel data of 2738000 images of 28x28 needs "
                                               "2146592000 bytes, but the file has 8 bytes left");
  CHECK(error_of(gz, good_labels).find("count mismatch") != std::string::npos);

  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    long pages = 0;
    if (std::FILE* statm = std::fopen("/proc/self/statm", "r")) {
      if (std::fscanf(statm, "%ld", &pages) != 1) pages = 0;
      std::fclose(statm);
    }
    const rlim_t cap = static_cast<rlim_t>(pages) * static_cast<rlim_t>(::sysconf(_SC_PAGESIZE)) + (512u << 20);
    const rlimit limit{cap, cap};
    if (pages == 0 || ::setrlimit(RLIMIT_AS, &limit) != 0) ::_exit(3);
    int code = 2;
    try {
      bp::nn::load_idx_pair(gz, big_labels, 10, "crafted");
    } catch (const bp::nn::dataset_error& e) {
      code = std::string(e.what()).find("truncated") != std::string::npos ? 0 : 2;
    } catch (const std::bad_alloc&) {
      code = 1;
    } catch (...) {
    }
    ::_exit(code);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK_MESSAGE(WEXITSTATUS(status) == 0, "child status " << WEXITSTATUS(status)
                                                          << " (1: it tried to allocate the claimed size)");
}
