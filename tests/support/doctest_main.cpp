// doctest_main.cpp — the one test main of every doctest program in tests/.
//
// Why not DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN: doctest exits 0 when its filters
// match nothing, so a misspelled or comma-split case name "passes" without
// running. This main adds three rules, in one place:
//   * a run that executed zero test cases fails (unless it was a query such as
//     --list-test-cases);
//   * --bp-case=<exact name> runs exactly the case of that name: the name is
//     escaped for doctest's filter syntax (commas split filters, * and ? are
//     wildcards), and the run fails unless exactly that one case ran;
//   * cases that called bp_test::skip() make the run exit 77 (CTest's
//     SKIP_RETURN_CODE for these entries) when every case that ran skipped.
// It ends with one machine-read line, "bp-test: ran=N skipped=M", which
// scripts/check-test-counts.sh reads from the CTest log.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "skip.hpp"

namespace {

constexpr int kSkipExitCode = 77;

struct run_record {
  std::set<std::string> ran;      // names of the cases that started
  std::set<std::string> skipped;  // names of the cases that called skip()
  std::vector<std::string> reasons;
  std::string current;
};

run_record& record() {
  static run_record r;
  return r;
}

// Counts the cases that really start; everything else is doctest's own output.
struct case_counter : doctest::IReporter {
  explicit case_counter(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override {}
  void test_case_start(const doctest::TestCaseData& data) override {
    record().current = data.m_name;
    record().ran.insert(data.m_name);
  }
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};
REGISTER_LISTENER("bp_case_counter", 1, case_counter);

// A doctest filter that matches `name` and as little else as the syntax allows:
// ',' and '\' are escaped; '*', '?' have no escape, so they become '?' (any one
// character) and the exact-name check after the run catches a wider match.
std::string filter_for_exact_name(const std::string& name) {
  std::string filter;
  for (char c : name) {
    if (c == ',' || c == '\\') {
      filter += '\\';
      filter += c;
    } else if (c == '*') {
      filter += '?';
    } else {
      filter += c;
    }
  }
  return filter;
}

}  // namespace

namespace bp_test {

void skip(const std::string& reason) {
  record().skipped.insert(record().current);
  record().reasons.push_back(record().current + ": " + reason);
  MESSAGE("SKIPPED: " << reason);
}

}  // namespace bp_test

int main(int argc, char** argv) {
  const char* const prefix = "--bp-case=";
  std::string exact_case;
  bool have_exact_case = false;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], prefix, std::strlen(prefix)) == 0) {
      exact_case = argv[i] + std::strlen(prefix);
      have_exact_case = true;
    } else {
      args.push_back(argv[i]);
    }
  }

  doctest::Context context;
  context.applyCommandLine(static_cast<int>(args.size()), args.data());
  if (have_exact_case) context.addFilter("test-case", filter_for_exact_name(exact_case).c_str());
  const int status = context.run();
  if (context.shouldExit()) return status;  // --help, --list-test-cases, ...

  const run_record& r = record();
  std::printf("bp-test: ran=%zu skipped=%zu\n", r.ran.size(), r.skipped.size());
  if (r.ran.empty()) {
    std::fprintf(stderr, "bp-test: FAILED: no test case ran%s%s%s — a misspelled name or a filter that matches nothing\n",
                 have_exact_case ? " (--bp-case=\"" : "", have_exact_case ? exact_case.c_str() : "",
                 have_exact_case ? "\")" : "");
    return 1;
  }
  if (have_exact_case && (r.ran.size() != 1 || *r.ran.begin() != exact_case)) {
    std::fprintf(stderr, "bp-test: FAILED: --bp-case=\"%s\" ran %zu cases, not exactly that one\n", exact_case.c_str(),
                 r.ran.size());
    return 1;
  }
  if (status != 0) return status;
  if (!r.skipped.empty()) {
    for (const std::string& why : r.reasons) std::printf("bp-test: SKIPPED %s\n", why.c_str());
    if (r.skipped.size() == r.ran.size()) return kSkipExitCode;
    std::fprintf(stderr,
                 "bp-test: FAILED: %zu of %zu cases skipped inside one entry; register each case that may skip as "
                 "its own CTest entry (bp_add_doctest ... CASE), so CTest can count it as skipped\n",
                 r.skipped.size(), r.ran.size());
    return 1;
  }
  return 0;
}
