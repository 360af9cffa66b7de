/* stub_library.c — stands in for a vendor sub-library the cudnn plugin
 * preloads but never calls (libcublasLt.so.13, libcudnn_graph.so.9,
 * libcudnn_engines_precompiled.so.9, libcudnn_ops.so.9, libcudnn_cnn.so.9):
 * only the file, its soname and its loadability matter to the probe. */
__attribute__((visibility("default"))) int bp_emu_stub_library(void) { return 0; }
