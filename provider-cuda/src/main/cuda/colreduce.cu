// The one translation unit nvcc compiles into colreduce.fatbin: every kernel the Java side
// launches, by an unmangled name. Head-dimension paddings 64/128/256 only; a smaller D is
// zero-filled up to the next one.
#include <type_traits>
#include "problem.cuh"
#include "row_statistics.cuh"
#include "column_pass.cuh"
#include "column_stream.cuh"
#include "head_reduction.cuh"
#include "simt_f32.cuh"
#include "fill.cuh"
#include "attention_output.cuh"
#include "attention_output_wg.cuh"
#include "attention_output_ws.cuh"

using namespace colreduce;

static_assert(sizeof(Problem) == 224, "Problem layout changed: update org.colreduce.cuda.ProblemBlock");

// mma.sync kernels (every architecture) and, with the suffixes _wg (4 warps) and _wg8 (8 warps),
// the wgmma kernels (sm_90a; elsewhere they trap, and LaunchPlan never picks them off sm_90).
// The _wg8 row statistics at DP <= 128 run software-pipelined (row_statistics.cuh PIPE); the default
// there is WIDE_VARIANT below (tiles of 128 keys).
#if defined(__CUDA_ARCH__) && !defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define WG_BODY(call) __trap();
#else
#define WG_BODY(call) call;
#endif

#define TC_VARIANT(TN, T, DP, SUFFIX, WARPS, WG, BODY)                                                      \
    extern "C" __global__ void __launch_bounds__(WARPS * 32, (WG && DP <= 128) ? 16 / WARPS : 8 / WARPS) row_statistics_##TN##_d##DP##SUFFIX(const Problem p) { \
        BODY((row_statistics<T, DP, WARPS, WG, 4, WG && WARPS == 8 && DP <= 128>(p)))                        \
    }                                                                                                       \
    extern "C" __global__ void __launch_bounds__(WARPS * 32, (WG && DP <= 128) ? 16 / WARPS : 8 / WARPS) column_sum_##TN##_d##DP##SUFFIX(const Problem p) {     \
        BODY((column_pass<T, DP, WARPS, false, WG>(p)))                                                      \
    }                                                                                                       \
    extern "C" __global__ void __launch_bounds__(WARPS * 32, (WG && DP <= 128) ? 16 / WARPS : 8 / WARPS) column_max_##TN##_d##DP##SUFFIX(const Problem p) {     \
        BODY((column_pass<T, DP, WARPS, true, WG>(p)))                                                       \
    }
#define PLAIN_BODY(call) call;

// every architecture: mma.sync, 4 warps; sm_90a: wgmma with 4 (_wg) or 8 (_wg8) warps
#define STREAM_VARIANT(TN, T, DP, SUFFIX, WG, BODY)                                                         \
    extern "C" __global__ void __launch_bounds__(128) column_stream_sum_##TN##_d##DP##SUFFIX(const Problem p) {  \
        BODY((column_stream<T, DP, false, WG>(p)))                                                           \
    }                                                                                                       \
    extern "C" __global__ void __launch_bounds__(128) column_stream_max_##TN##_d##DP##SUFFIX(const Problem p) {  \
        BODY((column_stream<T, DP, true, WG>(p)))                                                            \
    }

// sm_90a, DP <= 128: rings of 3 (_s3) or 2 (_s2, column_stream) stages for the few-query (decode)
// kernels: less shared memory, more blocks per SM
#define DECODE_VARIANT(TN, T, DP)                                                                            \
    extern "C" __global__ void __launch_bounds__(128, 4) row_statistics_##TN##_d##DP##_wg_s3(const Problem p) {  \
        WG_BODY((row_statistics<T, DP, 4, true, 3>(p)))                                                      \
    }                                                                                                       \
    extern "C" __global__ void __launch_bounds__(128, 3) column_stream_sum_##TN##_d##DP##_wg_s3(const Problem p) { \
        WG_BODY((column_stream<T, DP, false, true, 3>(p)))                                                   \
    }                                                                                                       \
    extern "C" __global__ void __launch_bounds__(128, 3) column_stream_max_##TN##_d##DP##_wg_s3(const Problem p) { \
        WG_BODY((column_stream<T, DP, true, true, 3>(p)))                                                    \
    }                                                                                                       \
    extern "C" __global__ void __launch_bounds__(128, 4) column_stream_sum_##TN##_d##DP##_wg_s2(const Problem p) { \
        WG_BODY((column_stream<T, DP, false, true, 2>(p)))                                                   \
    }                                                                                                       \
    extern "C" __global__ void __launch_bounds__(128, 4) column_stream_max_##TN##_d##DP##_wg_s2(const Problem p) { \
        WG_BODY((column_stream<T, DP, true, true, 2>(p)))                                                    \
    }

// sm_90a, DP = 64: the 8-warp column pass capped to 80 registers so that 3 blocks fit an SM
// (_wg8_b3; the row statistics spill under that cap): small tiles leave each warpgroup
// latency-bound, so more warpgroups per SM
#define OCCUPANCY_VARIANT(TN, T)                                                                             \
    extern "C" __global__ void __launch_bounds__(256, 3) column_sum_##TN##_d64_wg8_b3(const Problem p) {    \
        WG_BODY((column_pass<T, 64, 8, false, true>(p)))                                                     \
    }                                                                                                       \
    extern "C" __global__ void __launch_bounds__(256, 3) column_max_##TN##_d64_wg8_b3(const Problem p) {    \
        WG_BODY((column_pass<T, 64, 8, true, true>(p)))                                                      \
    }

// sm_90a, DP <= 128: the 8-warp passes on steps of 128 (m64n128k16; half the per-step bookkeeping
// per score): row statistics on tiles of 128 keys (Q read from shared memory), the column pass on
// items of 128 queries; rings of STAGES: 2 at DP = 128 (2 blocks/SM), 3 at DP = 64
#define WIDE_VARIANT(TN, T, DP, STAGES)                                                                     \
    extern "C" __global__ void __launch_bounds__(256, 2) row_statistics_##TN##_d##DP##_wg8_k128(const Problem p) { \
        WG_BODY((row_statistics<T, DP, 8, true, STAGES, false, 128>(p)))                                     \
    }                                                                                                       \
    extern "C" __global__ void __launch_bounds__(256, 2) column_sum_##TN##_d##DP##_wg8_q128(const Problem p) { \
        WG_BODY((column_pass<T, DP, 8, false, true, 128, STAGES>(p)))                                        \
    }                                                                                                       \
    extern "C" __global__ void __launch_bounds__(256, 2) column_max_##TN##_d##DP##_wg8_q128(const Problem p) { \
        WG_BODY((column_pass<T, DP, 8, true, true, 128, STAGES>(p)))                                         \
    }

#define TC_KERNELS(TN, T, DP)                          \
    TC_VARIANT(TN, T, DP, , 4, false, PLAIN_BODY)      \
    TC_VARIANT(TN, T, DP, _wg, 4, true, WG_BODY)       \
    TC_VARIANT(TN, T, DP, _wg8, 8, true, WG_BODY)      \
    STREAM_VARIANT(TN, T, DP, , false, PLAIN_BODY)     \
    STREAM_VARIANT(TN, T, DP, _wg, true, WG_BODY)

TC_KERNELS(f16, __half, 64)
TC_KERNELS(f16, __half, 128)
TC_KERNELS(f16, __half, 256)
TC_KERNELS(bf16, __nv_bfloat16, 64)
TC_KERNELS(bf16, __nv_bfloat16, 128)
TC_KERNELS(bf16, __nv_bfloat16, 256)
DECODE_VARIANT(f16, __half, 64)
DECODE_VARIANT(f16, __half, 128)
DECODE_VARIANT(bf16, __nv_bfloat16, 64)
DECODE_VARIANT(bf16, __nv_bfloat16, 128)
OCCUPANCY_VARIANT(f16, __half)
OCCUPANCY_VARIANT(bf16, __nv_bfloat16)
WIDE_VARIANT(f16, __half, 128, 2)
WIDE_VARIANT(bf16, __nv_bfloat16, 128, 2)
WIDE_VARIANT(f16, __half, 64, 3)
WIDE_VARIANT(bf16, __nv_bfloat16, 64, 3)

extern "C" __global__ void row_statistics_combine_k(const Problem p) { row_statistics_combine(p); }
extern "C" __global__ void head_reduction_k(const Problem p) { head_reduction(p); }
extern "C" __global__ void __launch_bounds__(256) row_statistics_f32_k(const Problem p) { row_statistics_f32(p); }
extern "C" __global__ void __launch_bounds__(128, 4) column_sum_f32_k(const Problem p) { column_pass_f32<false>(p); }
extern "C" __global__ void __launch_bounds__(128, 4) column_max_f32_k(const Problem p) { column_pass_f32<true>(p); }
extern "C" __global__ void fill_normal_f16_k(const Problem p) { fill_normal<__half>(p); }
extern "C" __global__ void fill_normal_bf16_k(const Problem p) { fill_normal<__nv_bfloat16>(p); }
extern "C" __global__ void fill_normal_f32_k(const Problem p) { fill_normal<float>(p); }
extern "C" __global__ void pad_rows_k(const Problem p) { pad_rows(p); }
