// `backplane train` end to end: the tool is spawned as a separate process.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "train_support.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;

struct CliResult {
  int exit_code = -1;
  std::string out, err;
};

std::string slurp(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs the tool with `args`; `interrupt_after` > 0 sends SIGINT after that many seconds.
CliResult run_cli(const std::vector<std::string>& args, double interrupt_after = 0) {
#ifdef BACKPLANE_CLI
  const fs::path dir = fs::temp_directory_path() / ("bp-train-cli-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string out_file = (dir / "out").string(), err_file = (dir / "err").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> argv_text{BACKPLANE_CLI, "train"};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  REQUIRE(posix_spawn(&pid, BACKPLANE_CLI, &actions, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&actions);
  if (interrupt_after > 0) {
    std::this_thread::sleep_for(std::chrono::duration<double>(interrupt_after));
    kill(pid, SIGINT);
  }
  // A hung child fails the test instead of hanging the suite.
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  pid_t done = 0;
  while ((done = waitpid(pid, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (done == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    FAIL_CHECK("backplane train did not exit within 120 s (killed); stdout so far:\n"
               << slurp(out_file) << "\nstderr:\n" << slurp(err_file));
  } else {
    REQUIRE(done == pid);
  }
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out_file);
  r.err = slurp(err_file);
  fs::remove_all(dir);
  return r;
#else
  (void)args;
  (void)interrupt_after;
  return {};
#endif
}

bool have_cli() {
#ifdef BACKPLANE_CLI
  return true;
#else
  BP_SKIP("the backplane tool is not part of this build");
  return false;
#endif
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("backplane train: the default synthetic run prints devices, progress and a summary") {
  if (!have_cli()) return;
  const CliResult r = run_cli({});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "Devices found:"));
  CHECK(contains(r.out, "GPU acceleration: "));
  CHECK(contains(r.out, "Epoch 1/1"));
  CHECK(contains(r.out, "32/32 [==============================] - "));
  CHECK(contains(r.out, "/step - loss: "));
  CHECK(contains(r.out, " - accuracy: "));
  CHECK(contains(r.out, "Test: loss "));
  CHECK(contains(r.out, "Summary"));
  CHECK(contains(r.out, "openblas-cpu"));
}

TEST_CASE("backplane train --backend all: a table with every backend, unusable ones with cause and remedy") {
  if (!have_cli()) return;
  const CliResult r = run_cli({"--backend", "all"});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "time/epoch"));
  CHECK(contains(r.out, "speedup"));
  CHECK(contains(r.out, "1.00x"));  // openblas-cpu against itself
#ifdef BACKPLANE_HAVE_CUDNN_PLUGIN
  if (contains(r.out, "GPU acceleration: available")) {
    MESSAGE("a GPU is usable here: cudnn trains instead of being listed as unavailable");
    CHECK(contains(r.out, "cudnn"));
  } else {
    CHECK(contains(r.out, "cudnn          not run: "));
    CHECK((contains(r.out, "(driver_missing)") || contains(r.out, "(no_device)") ||
           contains(r.out, "(missing_dependency)")));
    CHECK(contains(r.out, "remedy: "));
  }
#else
  MESSAGE("the cudnn plugin is not built here: its unavailable row is not checked");
#endif
}

TEST_CASE("backplane train --json FILE writes a parseable result; --json alone prints it on stdout") {
  if (!have_cli()) return;
  const fs::path file = fs::temp_directory_path() / ("bp-train-" + std::to_string(::getpid()) + ".json");
  const CliResult r = run_cli({"--json", file.string(), "--backend", "openblas-cpu", "--epochs", "2"});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(slurp(file));
  fs::remove(file);
  CHECK(j["schema_version"] == 1);
  REQUIRE(j["runs"].size() == 1);
  const auto& run = j["runs"][0];
  CHECK(run["backend"] == "openblas-cpu");
  CHECK(run["status"] == "completed");
  CHECK(run["epochs"].size() == 2);
  CHECK(run["time_per_epoch_s"].get<double>() > 0);
  CHECK(run["test_accuracy"].get<double>() >= 0);
  CHECK(run["speedup_vs_openblas_cpu"].get<double>() == doctest::Approx(1.0));

  const CliResult piped = run_cli({"--json"});
  INFO("stderr:\n" << piped.err);
  REQUIRE(piped.exit_code == 0);
  const auto k = nlohmann::json::parse(piped.out);  // human text went to stderr
  REQUIRE(k["runs"].size() == 1);
  CHECK(contains(piped.err, "Epoch 1/1"));
#ifdef BACKPLANE_HAVE_CUDNN_PLUGIN
  if (!k["gpu_acceleration"].get<bool>()) {
    // auto preferred cudnn, which cannot serve here: the fallback is in the result, with its cause.
    const auto& events = k["runs"][0]["events"];
    REQUIRE(events.size() >= 1);
    CHECK(events[0]["kind"] == "backend_fallback");
    CHECK(events[0]["plugin"] == "cudnn");
    CHECK(events[0]["selected"] == "openblas-cpu");
    CHECK(events[0]["remedy"].get<std::string>() != "");
  }
#endif
}

TEST_CASE("backplane train rejects bad flags and missing data with a message and a non-zero exit") {
  if (!have_cli()) return;
  const CliResult negative = run_cli({"--epochs", "-1"});
  CHECK(negative.exit_code != 0);
  CHECK(contains(negative.out + negative.err, "--epochs"));
  const CliResult batch = run_cli({"--batch-size", "0"});
  CHECK(batch.exit_code != 0);
  const CliResult dataset = run_cli({"--dataset", "cifar"});
  CHECK(dataset.exit_code != 0);
  CHECK(contains(dataset.err, "unknown dataset 'cifar'"));
  const CliResult missing = run_cli({"--dataset", "fashion-mnist=/nonexistent/fmnist"});
  CHECK(missing.exit_code != 0);
  CHECK(contains(missing.err, "/nonexistent/fmnist/train-images-idx3-ubyte.gz not found"));
  CHECK(contains(missing.err, "dataset-fashion-mnist"));
  const CliResult backend = run_cli({"--backend", "no-such-backend"});
  CHECK(backend.exit_code != 0);
  CHECK(contains(backend.err, "no-such-backend"));
}

TEST_CASE("Ctrl-C stops after the current step and still prints the summary") {
  if (!have_cli()) return;
  const CliResult r = run_cli({"--epochs", "100000", "--backend", "openblas-cpu"}, 3.0);
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.exit_code == 130);
  CHECK(contains(r.out, "Interrupted: stopped after the current step."));
  CHECK(contains(r.out, "Summary"));
  CHECK(contains(r.out, "interrupted"));
}
