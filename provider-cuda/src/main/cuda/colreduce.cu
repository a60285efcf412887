// The one translation unit nvcc compiles into colreduce.fatbin: every kernel the Java side
// launches, by an unmangled name. Head-dimension paddings 64/128/256 only; a smaller D is
// zero-filled up to the next one.
#include <type_traits>
#include "problem.cuh"
#include "row_statistics.cuh"
#include "column_pass.cuh"
#include "head_reduction.cuh"
#include "simt_f32.cuh"
#include "fill.cuh"

using namespace colreduce;

static_assert(sizeof(Problem) == 216, "Problem layout changed: update org.colreduce.cuda.ProblemBlock");

#define TC_KERNELS(TN, T, DP)                                                                         \
    extern "C" __global__ void __launch_bounds__(128) row_statistics_##TN##_d##DP(const Problem p) {   \
        row_statistics<T, DP>(p);                                                                     \
    }                                                                                                 \
    extern "C" __global__ void __launch_bounds__(128) column_sum_##TN##_d##DP(const Problem p) {       \
        column_pass<T, DP, false>(p);                                                                 \
    }                                                                                                 \
    extern "C" __global__ void __launch_bounds__(128) column_max_##TN##_d##DP(const Problem p) {       \
        column_pass<T, DP, true>(p);                                                                  \
    }

TC_KERNELS(f16, __half, 64)
TC_KERNELS(f16, __half, 128)
TC_KERNELS(f16, __half, 256)
TC_KERNELS(bf16, __nv_bfloat16, 64)
TC_KERNELS(bf16, __nv_bfloat16, 128)
TC_KERNELS(bf16, __nv_bfloat16, 256)

extern "C" __global__ void row_statistics_combine_k(const Problem p) { row_statistics_combine(p); }
extern "C" __global__ void head_reduction_k(const Problem p) { head_reduction(p); }
extern "C" __global__ void __launch_bounds__(256) row_statistics_f32_k(const Problem p) { row_statistics_f32(p); }
extern "C" __global__ void __launch_bounds__(128, 4) column_sum_f32_k(const Problem p) { column_pass_f32<false>(p); }
extern "C" __global__ void __launch_bounds__(128, 4) column_max_f32_k(const Problem p) { column_pass_f32<true>(p); }
extern "C" __global__ void fill_normal_f16_k(const Problem p) { fill_normal<__half>(p); }
extern "C" __global__ void fill_normal_bf16_k(const Problem p) { fill_normal<__nv_bfloat16>(p); }
extern "C" __global__ void fill_normal_f32_k(const Problem p) { fill_normal<float>(p); }
extern "C" __global__ void pad_rows_k(const Problem p) { pad_rows(p); }
