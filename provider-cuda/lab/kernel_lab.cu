// Kernel lab: times kernel variants of the two passes side by side on one GPU, with no JVM, and
// checks each variant's output against the first on the same inputs (F16, SUM, 8-warp wgmma
// kernels, sm_90a). Add a variant as a template parameter of the kernel, instantiate it below.
// Build here:   nvcc -std=c++17 -O3 -gencode arch=compute_90a,code=sm_90a -o kernel_lab kernel_lab.cu
// Run there:    ./kernel_lab            (prints one line per shape and variant)
// A development tool: the numbers that count come from CudaBenchmark beside the peer.
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <vector>
#include <algorithm>
#include <string>
#include "../src/main/cuda/row_statistics.cuh"
#include "../src/main/cuda/column_pass.cuh"
#include "../src/main/cuda/fill.cuh"

using namespace colreduce;

#define CK(x) do { cudaError_t e = (x); if (e != cudaSuccess) { printf("CUDA error %s at %s:%d\n", cudaGetErrorString(e), __FILE__, __LINE__); exit(1); } } while (0)

extern "C" __global__ void fill_k(const Problem p) { fill_normal<__half>(p); }

#define ROWS(NAME, DP, PIPE) extern "C" __global__ void __launch_bounds__(256, 2) NAME(const Problem p) { row_statistics<__half, DP, 8, true, 4, PIPE>(p); }
#define COLS(NAME, DP, QROWS, STAGES, MINB) extern "C" __global__ void __launch_bounds__(256, MINB) NAME(const Problem p) { column_pass<__half, DP, 8, false, true, QROWS, STAGES>(p); }
ROWS(rows128_base, 128, false)
ROWS(rows128_pipe, 128, true)
extern "C" __global__ void __launch_bounds__(256, 2) rows128_k128s2(const Problem p) { row_statistics<__half, 128, 8, true, 2, false, 128>(p); }
extern "C" __global__ void __launch_bounds__(256, 2) rows64_k128s3(const Problem p) { row_statistics<__half, 64, 8, true, 3, false, 128>(p); }
COLS(cols128_base, 128, 0, 0, 2)
COLS(cols128_w128s2, 128, 128, 2, 2)
COLS(cols128_w128s3, 128, 128, 3, 1)
ROWS(rows64_base, 64, false)
ROWS(rows64_pipe, 64, true)
COLS(cols64_base, 64, 0, 0, 3)
COLS(cols64_w128s3, 64, 128, 3, 2)

typedef void (*Kernel)(const Problem);

static float median(std::vector<float> v) { std::sort(v.begin(), v.end()); return v[v.size() / 2]; }

static float timeKernel(Kernel k, dim3 grid, int smem, const Problem& p, int iters) {
    CK(cudaFuncSetAttribute(k, cudaFuncAttributeMaxDynamicSharedMemorySize, smem));
    cudaEvent_t a, b;
    CK(cudaEventCreate(&a)); CK(cudaEventCreate(&b));
    std::vector<float> t;
    for (int i = 0; i < iters + 3; i++) {
        CK(cudaEventRecord(a));
        k<<<grid, 256, smem>>>(p);
        CK(cudaEventRecord(b));
        CK(cudaEventSynchronize(b));
        float ms; CK(cudaEventElapsedTime(&ms, a, b));
        if (i >= 3) t.push_back(ms);
    }
    CK(cudaGetLastError());
    return median(t);
}

static double maxRelDiff(const std::vector<float>& x, const std::vector<float>& y) {
    double worst = 0;
    for (size_t i = 0; i < x.size(); i++) {
        if (std::isinf(x[i]) && x[i] == y[i]) continue;
        double d = std::fabs((double)x[i] - y[i]) / std::max(1e-30, std::fabs((double)x[i]));
        if (std::isnan(d)) d = 1e30;
        worst = std::max(worst, d);
    }
    return worst;
}

// rows/cols kernels with the queries of a column-pass item (qrows) and its ring depth (stages).
// "base": the kernels before 2026-11-22's second session's pipeline; what ships since 05:31 UTC
// is "rk128s2" at D = 128 and "rk128s3" at D = 64 (M >= 128).
struct Variant { const char* name; Kernel rows; Kernel cols; int qrows, stages; int rkeys = 64, rstages = 4; };

int main(int argc, char** argv) {
    struct Shape { int B, H, M, N, D; bool causal; };
    std::vector<Shape> shapes = {
        {1, 32, 16384, 16384, 128, false}, {1, 32, 4096, 4096, 128, false}, {16, 32, 1024, 1024, 128, false},
        {1, 32, 1024, 1024, 128, false}, {1, 32, 4096, 4096, 128, true}, {1, 32, 16384, 16384, 128, true},
        {1, 32, 512, 32768, 128, true}, {1, 32, 4096, 4096, 64, false}};
    int iters = argc > 1 ? atoi(argv[1]) : 15;
    int only = argc > 2 ? atoi(argv[2]) : -1;   // one shape (profiling)
    for (int si = 0; si < (int)shapes.size(); si++) {
        if (only >= 0 && si != only) continue;
        const Shape& s = shapes[si];
        const int DP = s.D;
        std::vector<Variant> vs = DP == 128
            ? std::vector<Variant>{{"base", rows128_base, cols128_base, 64, 4}, {"pipe", rows128_pipe, cols128_base, 64, 4},
                                   {"w128s2", rows128_pipe, cols128_w128s2, 128, 2}, {"rk128s2", rows128_k128s2, cols128_w128s2, 128, 2, 128, 2}}
            : std::vector<Variant>{{"base", rows64_base, cols64_base, 64, 4}, {"pipe", rows64_pipe, cols64_base, 64, 4},
                                   {"w128s3", rows64_pipe, cols64_w128s3, 128, 3}, {"rk128s3", rows64_k128s3, cols64_w128s3, 128, 3, 128, 3}};
        size_t qn = (size_t)s.B * s.H * s.M * DP, kn = (size_t)s.B * s.H * s.N * DP;
        Problem p = {};
        void *q, *k; float *lse, *col; int *lq, *lk;
        CK(cudaMalloc(&q, qn * 2)); CK(cudaMalloc(&k, kn * 2));
        CK(cudaMalloc(&lse, (size_t)s.B * s.H * s.M * 8));   // (m, lg) per row
        CK(cudaMalloc(&col, (size_t)s.B * s.H * s.N * 4));
        CK(cudaMalloc(&lq, s.B * 4)); CK(cudaMalloc(&lk, s.B * 4));
        std::vector<int> hq(s.B, s.M), hk(s.B, s.N);
        CK(cudaMemcpy(lq, hq.data(), s.B * 4, cudaMemcpyHostToDevice)); CK(cudaMemcpy(lk, hk.data(), s.B * 4, cudaMemcpyHostToDevice));
        Problem f = {}; f.aux = q; f.count = qn; f.seed = 1; fill_k<<<1024, 256>>>(f);
        f.aux = k; f.count = kn; f.seed = 2; fill_k<<<1024, 256>>>(f);
        p.q = q; p.k = k; p.lse = lse; p.colval = col; p.lenQ = lq; p.lenK = lk;
        p.qsm = DP; p.qsh = (int64_t)s.M * DP; p.qsb = p.qsh * s.H;
        p.ksn = DP; p.ksh = (int64_t)s.N * DP; p.ksb = p.ksh * s.H;
        p.B = s.B; p.Hq = p.Hkv = s.H; p.M = s.M; p.N = s.N; p.D = s.D; p.ld = DP;
        p.causal = s.causal; p.splits = 1; p.keysPerSplit = s.N; p.reduction = REDUCE_SUM;
        p.c = (float)(1.0 / std::sqrt((double)s.D) * 1.4426950408889634); p.sgn = 1.f;
        dim3 rg((s.M + 127) / 128, s.B * s.H, 1), cg((s.N + 127) / 128, s.B * s.H, 1);
        double flop = 2.0 * s.B * s.H * (double)s.M * s.N * s.D * (s.causal ? 0.5 : 1.0);
        std::vector<float> lse0, col0;
        for (const Variant& v : vs) {
            int rsm = (128 + v.rstages * v.rkeys) * DP * 2 + 1024;
            float tr = timeKernel(v.rows, rg, rsm, p, iters);
            std::vector<float> hl((size_t)s.B * s.H * s.M * 2), hc((size_t)s.B * s.H * s.N);
            CK(cudaMemcpy(hl.data(), lse, hl.size() * 4, cudaMemcpyDeviceToHost));
            if (lse0.empty()) lse0 = hl;
            else CK(cudaMemcpy(lse, lse0.data(), hl.size() * 4, cudaMemcpyHostToDevice));  // the column pass reads the reference lse
            int csm = (128 + v.stages * v.qrows) * DP * 2 + v.stages * v.qrows * 8 + 1024;
            float tc = timeKernel(v.cols, cg, csm, p, iters);
            CK(cudaMemcpy(hc.data(), col, hc.size() * 4, cudaMemcpyDeviceToHost));
            if (col0.empty()) col0 = hc;
            printf("%d,%d,%d,%d,%d%s %-5s rows %8.3f ms (%5.0f TF/s)  cols %8.3f ms (%5.0f TF/s)  total %8.3f  lse diff %.2e  col diff %.2e\n",
                   s.B, s.H, s.M, s.N, s.D, s.causal ? "c" : " ", v.name, tr, flop / tr / 1e9, tc, flop / tc / 1e9, tr + tc,
                   maxRelDiff(lse0, hl), maxRelDiff(col0, hc));
            fflush(stdout);
        }
        cudaFree(q); cudaFree(k); cudaFree(lse); cudaFree(col); cudaFree(lq); cudaFree(lk);
    }
    return 0;
}
