/* A stand-in for cuDNN 8.9.7: SONAME libcudnn.so.9 (so the plugin's search
 * finds it under that name) but cudnnGetVersion() says 80907. Nothing else is
 * needed: the version rule must reject it before any other symbol is used. */
#include <stddef.h>

__attribute__((visibility("default"))) size_t cudnnGetVersion(void) { return 80907; }
__attribute__((visibility("default"))) size_t cudnnGetCudartVersion(void) { return 12020; }
