// backplane/nn/nn.hpp — everything of backplane_nn in one include.
#pragma once

#include "backplane/nn/activation.hpp"
#include "backplane/nn/conv2d.hpp"
#include "backplane/nn/dataset.hpp"
#include "backplane/nn/dense.hpp"
#include "backplane/nn/flatten.hpp"
#include "backplane/nn/layer.hpp"
#include "backplane/nn/loss.hpp"
#include "backplane/nn/model_io.hpp"
#include "backplane/nn/optimizer.hpp"
#include "backplane/nn/pooling.hpp"
#include "backplane/nn/progress.hpp"
#include "backplane/nn/rng.hpp"
#include "backplane/nn/safetensors.hpp"
#include "backplane/nn/sequential.hpp"
