// test_main.cpp — doctest entry point of the `backplane` tool tests.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
