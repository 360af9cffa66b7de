// reliability_main.cpp — sanitizer defaults of the reliability suite (its main is
// the shared one, tests/support/doctest_main.cpp).

// The OOM tests ask for terabytes on purpose and expect NULL back from the
// allocator, which ASan turns into a fatal report unless told otherwise. The
// CI script sets the same option; this default keeps a plain `ctest` in an
// ASan build meaningful too.
#if defined(__SANITIZE_ADDRESS__)
#define REL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REL_ASAN 1
#endif
#endif
#ifdef REL_ASAN
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }
#endif
