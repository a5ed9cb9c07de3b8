// Machine roofline probes: memory bandwidth and peak FP32 / int8 throughput on this CPU.
//
// Each probe runs on every thread of the pool and takes well under 2 s. Results are noisy on a
// shared machine; callers compare kernel rates against them as "fraction of roofline".
#pragma once

#include "sangam/thread_pool.h"

namespace sangam::tensor {

// Read-only streaming bandwidth in GB/s (1e9 bytes/s): all threads sum disjoint parts of a
// buffer of 256 MiB (8x a 32 MiB L3); median of 5 repetitions.
double MeasureMemoryBandwidthGBs(ThreadPool& pool);

// Peak FP32 GFLOP/s (an FMA counts 2): register-resident independent FMA chains with the
// selected ISA (16 lanes AVX-512, 8 lanes AVX2, scalar otherwise) on all threads; best of 3.
double MeasurePeakFp32Gflops(ThreadPool& pool);

// Peak int8 GOP/s (a multiply-add counts 2): vpdpbusd chains where AVX512_VNNI is available,
// else AVX2 vpmaddubsw+vpmaddwd+vpaddd (counted as 32 multiply-adds per 256-bit step); best of 3.
double MeasurePeakInt8Gops(ThreadPool& pool);

}  // namespace sangam::tensor
