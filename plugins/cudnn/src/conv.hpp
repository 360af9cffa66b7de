// conv.hpp — CONV2D_FWD / BWD_DATA / BWD_FILTER through cuDNN's legacy API.
// See ops.hpp for the family interface; algorithms come from cuDNN's
// heuristics (*_v7), cached per shape key on the device.
#pragma once

#include "ops.hpp"
