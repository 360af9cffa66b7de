/* A library that is deliberately NOT placed where the loader looks, so a
 * library linked against it fails dlopen with a named missing dependency. */
__attribute__((visibility("default"))) int bp_ghost_value(void) { return 42; }
