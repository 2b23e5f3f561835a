#include <gtest/gtest.h>

#include "common/runtime.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  mu::init_runtime();
  return RUN_ALL_TESTS();
}
