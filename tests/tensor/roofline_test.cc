// Roofline probes return plausible, positive numbers quickly.
#include "sangam/roofline.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "sangam/tensor.h"

namespace sangam::tensor {
namespace {

TEST(RooflineTest, ProbesArePositiveAndFast) {
  ThreadPool pool(2);
  auto timed = [](const char* what, auto fn) {
    const auto t0 = std::chrono::steady_clock::now();
    const double v = fn();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%s = %.1f (%.2f s)\n", what, v, s);
    EXPECT_LT(s, 10.0) << what;  // < 2 s on an idle machine; generous for a loaded one
    return v;
  };
  const double bw = timed("memory bandwidth GB/s", [&] { return MeasureMemoryBandwidthGBs(pool); });
  const double fl = timed("peak fp32 GFLOP/s", [&] { return MeasurePeakFp32Gflops(pool); });
  const double i8 = timed("peak int8 GOP/s", [&] { return MeasurePeakInt8Gops(pool); });
  EXPECT_GT(bw, 0.5);
  EXPECT_LT(bw, 2000);
  EXPECT_GT(fl, 1);
  if (CpuHasIsa(Isa::kAvx2)) {
    EXPECT_GT(i8, 1);
  }
}

}  // namespace
}  // namespace sangam::tensor
