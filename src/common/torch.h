#pragma once
// Narrow LibTorch includes: ATen plus autograd (torch/torch.h costs 20-30 s per file to compile).
#include <torch/version.h>
// The portable subset this code keeps to is the API that LibTorch 1.13 and 2.x share (docs/gpu.md): any other
// version stops at the first file compiled, with this line, rather than deep inside a template.
#if !((TORCH_VERSION_MAJOR == 1 && TORCH_VERSION_MINOR == 13) || TORCH_VERSION_MAJOR == 2)
#error "metaunsup: LibTorch 1.13 or 2.x is required (docs/gpu.md)"
#endif
#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/variable.h>
#include <torch/csrc/autograd/generated/variable_factories.h>
