/* libcudnn.so.9 look-alike with a DT_NEEDED on libbp_ghost.so, which is not
 * next to it: the loader must say missing_dependency and name libbp_ghost.so. */
#include <stddef.h>

int bp_ghost_value(void);
__attribute__((visibility("default"))) size_t cudnnGetVersion(void) { return 91900 + (size_t)bp_ghost_value() * 0; }
