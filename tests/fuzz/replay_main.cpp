// replay_main.cpp — a main() for fuzz targets in builds without libFuzzer
// (g++, or clang without -fsanitize=fuzzer): runs LLVMFuzzerTestOneInput once
// per file given (folders: every file inside, sorted). This is how CTest
// replays the seed corpus and every regression input on each build, with
// whatever sanitizers that build has.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path p(argv[i]);
    if (std::filesystem::is_directory(p)) {
      std::vector<std::string> inside;
      for (auto& e : std::filesystem::directory_iterator(p))
        if (e.is_regular_file()) inside.push_back(e.path().string());
      std::sort(inside.begin(), inside.end());
      files.insert(files.end(), inside.begin(), inside.end());
    } else {
      files.push_back(p.string());
    }
  }
  for (const std::string& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "replay: cannot read %s\n", f.c_str());
      return 2;
    }
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  }
  if (files.empty()) {
    std::fprintf(stderr, "replay: no input found: a replay of nothing proves nothing\n");
    return 1;
  }
  std::printf("replay: %zu input(s) ran without a crash\n", files.size());
  std::printf("bp-test: ran=%zu skipped=0\n", files.size());  // read by scripts/check-test-counts.py
  return 0;
}
