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
    EXPECT_LT(s, 30.0) << what;  // < 2 s optimised on an idle machine; generous otherwise
    return v;
  };
  const double bw = timed("memory bandwidth GB/s", [&] { return MeasureMemoryBandwidthGBs(pool); });
  const double fl = timed("peak fp32 GFLOP/s", [&] { return MeasurePeakFp32Gflops(pool); });
  const double i8 = timed("peak int8 GOP/s", [&] { return MeasurePeakInt8Gops(pool); });
  // Loose sanity bounds: unoptimised sanitizer builds on a loaded machine are very slow.
  EXPECT_GT(bw, 0.05);
  EXPECT_LT(bw, 2000);
  EXPECT_GT(fl, 0.05);
  if (CpuHasIsa(Isa::kAvx2)) {
    EXPECT_GT(i8, 0.05);
  }
}

}  // namespace
}  // namespace sangam::tensor
