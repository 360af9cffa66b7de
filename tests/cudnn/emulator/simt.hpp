// simt.hpp — just enough of CUDA's device-side language to compile the cudnn
// plugin's kernels (plugins/cudnn/kernels/*.cu) as ordinary C++ and run them
// on the CPU with CUDA's execution model: a grid of blocks, each block a set
// of threads that meet at __syncthreads, each warp of 32 lanes exchanging
// values through __shfl_xor_sync.
//
// Blocks run one after another; the threads of a block are either plain
// calls (kernels registered without barriers) or cooperative fibers that
// switch at every barrier (see simt.cpp). __shared__ becomes a thread_local
// static: every thread of a block runs on the same OS thread, so they share
// it, as a block shares its shared memory.
#pragma once

#include <math.h>

#include <cstdint>
#include <cstring>

#include "simt_dims.hpp"

namespace bp_emu::simt {

// The running thread's coordinates (valid inside a kernel body).
dim3v thread_idx();
dim3v block_idx();
dim3v block_dim();
dim3v grid_dim();

// __syncthreads(): every live thread of the block arrives before any leaves.
void sync_block();
// One warp-wide rendezvous (the 32 lanes of the caller's warp).
void sync_warp();
// The caller's 8-byte exchange slot in its warp, and a lane's slot.
unsigned lane_id();
void* warp_slot(unsigned lane);

}  // namespace bp_emu::simt

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static thread_local
#define __restrict__

#define threadIdx (::bp_emu::simt::thread_idx())
#define blockIdx (::bp_emu::simt::block_idx())
#define blockDim (::bp_emu::simt::block_dim())
#define gridDim (::bp_emu::simt::grid_dim())

inline void __syncthreads() { ::bp_emu::simt::sync_block(); }

// Butterfly exchange: lane L receives the value of lane L ^ lane_mask. Two
// rendezvous: everyone has written before anyone reads, everyone has read
// before anyone writes again.
template <typename T>
inline T __shfl_xor_sync(unsigned /*mask: every kernel here uses the full warp*/, T value, int lane_mask,
                         int width = 32) {
  static_assert(sizeof(T) <= 8, "__shfl_xor_sync emulation holds 8-byte values");
  const unsigned lane = ::bp_emu::simt::lane_id();
  std::memcpy(::bp_emu::simt::warp_slot(lane), &value, sizeof(T));
  ::bp_emu::simt::sync_warp();
  const unsigned base = lane & ~unsigned(width - 1);
  const unsigned from = base + ((lane - base) ^ unsigned(lane_mask));
  T out;
  std::memcpy(&out, ::bp_emu::simt::warp_slot(from < 32 ? from : lane), sizeof(T));
  ::bp_emu::simt::sync_warp();
  return out;
}

inline float __int_as_float(int bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}
