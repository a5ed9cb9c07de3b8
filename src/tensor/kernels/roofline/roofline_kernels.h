// ISA-specific inner loops of the roofline probes; each returns the operations it performed.
#pragma once

#include <cstdint>

namespace sangam::tensor::kernels {

double FmaChainsAvx512(int64_t iters);   // FP32 FLOPs
double FmaChainsAvx2(int64_t iters);
double Int8ChainsAvx512(int64_t iters);  // int8 ops (2 per multiply-add)
double Int8ChainsAvx2(int64_t iters);

}  // namespace sangam::tensor::kernels
