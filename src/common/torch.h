#pragma once
// Narrow LibTorch includes: ATen plus autograd (torch/torch.h costs 20-30 s per file to compile).
#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/variable.h>
#include <torch/csrc/autograd/generated/variable_factories.h>
