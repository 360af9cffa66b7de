// test_cli_output.cpp — what the tool prints stays true and valid: foreign
// bytes in reported values, a duplicate plugin copy, a full disk, an
// interrupted doctor, bad option values and configuration errors.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <doctest/doctest.h>

#include "cli_runner.hpp"

using cli_test::describe;
using cli_test::find_plugin;
using cli_test::parse_json_output;
using cli_test::run_backplane;

namespace fs = std::filesystem;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A scratch folder removed at the end of the test.
struct scratch_dir {
  fs::path path = fs::temp_directory_path() / ("bp-cli-output-" + std::to_string(::getpid()));
  scratch_dir() { fs::create_directories(path); }
  ~scratch_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// Children of `parent` (from /proc), and whether a process is still alive (a zombie is not).
std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = slurp(entry.path() / "stat");
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    int ppid = 0;
    char state = 0;
    if (std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) == 2 && ppid == parent)
      out.push_back(static_cast<pid_t>(std::stoi(name)));
  }
  return out;
}
bool alive(pid_t pid) {
  const std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  const size_t close = stat.rfind(')');
  return close != std::string::npos && stat.size() > close + 2 && stat[close + 2] != 'Z' && stat[close + 2] != 'X';
}

}  // namespace

TEST_CASE("a non-UTF-8 byte in a reported environment value is shown as \\xNN and changes no verdict") {
  const std::map<std::string, std::string> env{{"CUDA_VISIBLE_DEVICES", "x\xff"}, {"BACKPLANE_LOG", "warn"}};
  const int baseline = run_backplane({"doctor", "--no-isolate"}).exit_code;
  for (const auto& args : std::vector<std::vector<std::string>>{{"doctor", "--json"}, {"doctor", "--json", "--no-isolate"}}) {
    const auto r = run_backplane(args, env);
    INFO(describe(r));
    CHECK(r.exit_code == baseline);
    const auto report = parse_json_output(r);
    CHECK(report["environment"]["CUDA_VISIBLE_DEVICES"] == "x\\xff");
    CHECK(find_plugin(report, "openblas-cpu")["state"] == "ready");
  }
  const auto text = run_backplane({"doctor"}, env);
  INFO(describe(text));
  CHECK(text.exit_code == baseline);
  CHECK(contains(text.out, "CUDA_VISIBLE_DEVICES=x\\xff"));
  CHECK(!contains(text.out, "probe_crashed"));
  CHECK(!contains(text.out, "Nothing usable"));
  for (const auto& args : std::vector<std::vector<std::string>>{{"devices"}, {"devices", "--json"}}) {
    const auto r = run_backplane(args, env);
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    if (args.size() == 2) CHECK(find_plugin(parse_json_output(r), "openblas-cpu")["state"] == "ready");
  }
}

TEST_CASE("a plugin found twice: the verdict names the real cause, the duplicate is a note") {
  scratch_dir dir;
  const auto first = run_backplane({"devices", "--json"});
  const auto view = parse_json_output(first);
  for (const auto& plugin : view["plugins"]) {
    const std::string path = plugin.value("path", "");
    if (!path.empty()) fs::copy_file(path, dir.path / fs::path(path).filename(), fs::copy_options::overwrite_existing);
  }
  for (const std::string command : {"doctor", "devices"}) {
    for (const std::string isolation : {"--isolate", "--no-isolate"}) {
      const auto r = run_backplane({command, isolation, "--plugin-path", dir.path.string()});
      INFO(describe(r));
      // The verdict is the last line before the notes.
      const std::string before_notes = r.out.substr(0, r.out.find("\nNote: "));
      const std::string verdict = before_notes.substr(before_notes.rfind('\n') + 1);
      CHECK(contains(r.out, verdict + "\nNote: "));
      CHECK(!contains(verdict, "copies"));
      CHECK(!contains(verdict, "already found"));
      CHECK(contains(r.out, "Note: plugin 'openblas-cpu' was found again"));
      if (find_plugin(view, "cudnn").is_object() && !cli_test::nvidia_driver_present())
        CHECK(contains(verdict, "CUDA driver missing"));
    }
  }
  const auto json = run_backplane({"devices", "--json", "--plugin-path", dir.path.string()});
  INFO(describe(json));
  const auto listed = parse_json_output(json);
  CHECK(!contains(listed["summary"].get<std::string>(), "copies"));
  CHECK(listed["notes"].size() >= 1);
}

TEST_CASE("every command fails with a message when its output cannot be written") {
  scratch_dir dir;
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"devices", "--json"}, {"devices"}, {"doctor", "--json"}, {"doctor"}}) {
    const std::string err = (dir.path / "err").string();
    const pid_t pid = cli_test::start_backplane(args, {}, "/dev/full", err);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    INFO(args[0] << " " << (args.size() > 1 ? args[1] : "") << ": " << slurp(err));
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 1);
    CHECK(contains(slurp(err), "No space left on device"));
  }
}

TEST_CASE("killing doctor leaves no probe child behind") {
  scratch_dir dir;
  const std::string hang = std::string(BACKPLANE_CLI_BROKEN_DIR) + "/libbackplane-broken-hang.so";
  for (int signal_number : {SIGTERM, SIGINT}) {
    CAPTURE(signal_number);
    const pid_t doctor = cli_test::start_backplane({"doctor", "--timeout", "100", "--plugin-path", hang}, {},
                                                   (dir.path / "out").string(), (dir.path / "err").string());
    // Wait until the hanging probe's child runs.
    std::vector<pid_t> children;
    for (int i = 0; i < 100 && children.empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      children = children_of(doctor);
    }
    REQUIRE_MESSAGE(!children.empty(), "doctor started no probe child");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the child is inside the hanging probe
    ::kill(doctor, signal_number);
    int status = 0;
    REQUIRE(::waitpid(doctor, &status, 0) == doctor);
    CHECK(WIFSIGNALED(status));
    bool any_alive = true;
    for (int i = 0; i < 50 && any_alive; ++i) {
      any_alive = false;
      for (pid_t child : children) any_alive = any_alive || alive(child);
      if (any_alive) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK_MESSAGE(!any_alive, "a probe child outlived the killed doctor");
    for (pid_t child : children) ::kill(child, SIGKILL);  // never leave one behind, even when failing
  }
}

TEST_CASE("--timeout must be a finite number of seconds") {
  for (const std::string value : {"nan", "inf", "-inf", "0", "-3", "1e300", "abc"}) {
    CAPTURE(value);
    for (const std::string command : {"doctor", "devices"}) {
      const auto r = run_backplane({command, "--timeout", value});
      INFO(describe(r));
      CHECK(r.exit_code == 1);
      CHECK(contains(r.err, "--timeout"));
    }
  }
  CHECK(run_backplane({"devices", "--timeout", "2.5"}).exit_code == 0);
}

TEST_CASE("train: a configuration error exits 1 with the message, like every other command") {
  // BACKPLANE_FALLBACK=bogus is refused by the core as a configuration error (INVALID_ARGUMENT).
  const std::map<std::string, std::string> env{{"BACKPLANE_FALLBACK", "bogus"}};
  const auto doctor = run_backplane({"doctor"}, env);
  INFO(describe(doctor));
  REQUIRE(doctor.exit_code == 1);
  const auto train = run_backplane({"train", "--epochs", "1"}, env);
  INFO(describe(train));
  CHECK(train.exit_code == 1);
  CHECK(contains(train.err, "configuration error"));
  CHECK(contains(train.err, "BACKPLANE_FALLBACK"));
}

TEST_CASE("train: a dataset without samples is an error, not a completed run") {
  scratch_dir dir;
  auto write_gz_idx = [&](const std::string& name, std::vector<unsigned char> header) {
    // zlib reads plain files too: an uncompressed IDX header with a count of 0.
    std::ofstream(dir.path / name, std::ios::binary)
        .write(reinterpret_cast<const char*>(header.data()), static_cast<std::streamsize>(header.size()));
  };
  const std::vector<unsigned char> images{0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0, 28};
  const std::vector<unsigned char> labels{0, 0, 8, 1, 0, 0, 0, 0};
  for (const char* prefix : {"train", "t10k"}) {
    write_gz_idx(std::string(prefix) + "-images-idx3-ubyte.gz", images);
    write_gz_idx(std::string(prefix) + "-labels-idx1-ubyte.gz", labels);
  }
  const auto r = run_backplane({"train", "--dataset", "fashion-mnist=" + dir.path.string()});
  INFO(describe(r));
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "no samples"));
  CHECK(!contains(r.out, "Summary"));
}
