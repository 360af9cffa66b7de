// simt_dims.hpp — launch coordinates shared by simt.hpp and simt_runner.hpp.
#pragma once

namespace bp_emu::simt {
struct dim3v {
  unsigned x = 1, y = 1, z = 1;
};
}  // namespace bp_emu::simt
