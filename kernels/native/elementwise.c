/*
 * Native elementwise kernels for the TensorFlow.js wasm backend (kernels/native_elementwise.ts
 * registers them through Deno FFI; kernels/native/build.ts compiles this file).
 *
 * Every kernel reads its float32 operands where the wasm backend keeps them (the WebAssembly
 * heap, passed as plain pointers) and writes a fresh output tensor there. Work is split into
 * fixed blocks that a small persistent pool of threads claims from an atomic counter; the caller
 * thread always works too. The blocking never depends on the thread count, and every output
 * element is computed by the same arithmetic whoever computes it, so results are identical for
 * any number of threads and from run to run.
 *
 * Numerics (compiled with -ffp-contract=off and without -ffast-math):
 * - add, sub, mul, div, neg, square, sqrt, copy, int32 -> float32: IEEE float32, bit-identical
 *   to the wasm kernels.
 * - exp: computed in double (range reduction by ln 2, degree-11 Taylor polynomial, relative
 *   error < 1e-14 before rounding), then rounded to float32: the correctly rounded result except
 *   within ~1e-14 of a rounding midpoint. The wasm kernel (musl's expf) is correctly rounded in
 *   practice, so the two agree almost always and otherwise differ by one ulp.
 * - sigmoid: 1 / (1 + exp(-x)) in double, as the wasm kernel does, with the exp above.
 * - sum / mean / softmax: accumulated in double (the wasm kernels accumulate in float32 in index
 *   order), so they differ from wasm by wasm's own rounding error.
 */
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ __volatile__("yield")
#else
#define CPU_RELAX() ((void)0)
#endif

#define EXPORT __attribute__((visibility("default")))

/* ------------------------------------------------------------------------------------------ */
/* Thread pool: workers claim block indices from an atomic counter; the caller works too.     */
/* ------------------------------------------------------------------------------------------ */

typedef void (*task_fn)(void *ctx, int64_t block);

#define MAX_THREADS 64

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cv = PTHREAD_COND_INITIALIZER;
static int pool_started = 0;       /* workers created */
static int pool_threads = 1;       /* threads used by a parallel job (caller included) */
static int64_t pool_spin_ns = 50000; /* how long an idle worker spins before sleeping */

static task_fn job_fn;
static void *job_ctx;
static int64_t job_blocks;
static _Atomic int64_t job_next;
static _Atomic int64_t job_gen;
static _Atomic int job_closed = 1;
static _Atomic int worker_busy[MAX_THREADS];
static _Atomic int worker_sleeping[MAX_THREADS];
static _Atomic int worker_active = 0; /* workers allowed to join (pool_threads - 1) */

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static _Atomic int64_t worker_blocks = 0; /* blocks run by pool threads (tests, stats) */

static void run_claims(int worker) {
  for (;;) {
    int64_t b = atomic_fetch_add(&job_next, 1);
    if (b >= job_blocks) break;
    job_fn(job_ctx, b);
    if (worker) atomic_fetch_add(&worker_blocks, 1);
  }
}

/** Blocks run so far by the pool threads (not the caller): shows that the pool works. */
EXPORT int64_t ew_worker_blocks(void) { return atomic_load(&worker_blocks); }

static void *worker_main(void *arg) {
  const int id = (int)(intptr_t)arg;
  int64_t seen = atomic_load(&job_gen);
  for (;;) {
    /* Wait for a new job: spin a little, then sleep on the condition variable. */
    int64_t g = atomic_load(&job_gen);
    if (g == seen) {
      const int64_t until = now_ns() + pool_spin_ns;
      int spins = 0;
      while ((g = atomic_load(&job_gen)) == seen) {
        CPU_RELAX();
        if (++spins % 64 == 0 && now_ns() > until) break;
      }
      if (g == seen) {
        pthread_mutex_lock(&pool_mu);
        atomic_store(&worker_sleeping[id], 1);
        while ((g = atomic_load(&job_gen)) == seen) pthread_cond_wait(&pool_cv, &pool_mu);
        atomic_store(&worker_sleeping[id], 0);
        pthread_mutex_unlock(&pool_mu);
      }
    }
    seen = g;
    if (id >= atomic_load(&worker_active)) continue;
    /* Dekker-style hand-shake with ew_parallel's close: either we see the job closed (and
     * leave it alone) or the caller sees us busy (and waits before reusing the descriptor). */
    atomic_store(&worker_busy[id], 1);
    if (atomic_load(&job_closed) == 0 && atomic_load(&job_gen) == seen) run_claims(1);
    atomic_store(&worker_busy[id], 0);
  }
  return NULL;
}

static void ensure_pool(int threads) {
  pthread_mutex_lock(&pool_mu);
  while (pool_started < threads - 1 && pool_started < MAX_THREADS) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, worker_main, (void *)(intptr_t)pool_started) != 0) {
      pthread_attr_destroy(&attr);
      break;
    }
    pthread_attr_destroy(&attr);
    pool_started++;
  }
  pthread_mutex_unlock(&pool_mu);
}

/** Set the threads of parallel jobs (caller included) and the idle spin; returns the threads. */
EXPORT int ew_set_threads(int threads, int spin_us) {
  if (threads < 1) threads = 1;
  if (threads > MAX_THREADS) threads = MAX_THREADS;
  if (spin_us >= 0) pool_spin_ns = (int64_t)spin_us * 1000;
  ensure_pool(threads);
  pool_threads = pool_started + 1 < threads ? pool_started + 1 : threads;
  atomic_store(&worker_active, pool_threads - 1);
  return pool_threads;
}

static _Atomic int pool_owned = 0; /* a caller is using the pool's single job descriptor */

/**
 * Run fn(ctx, b) for b in [0, blocks): on the caller alone when `parallel` is 0, or when
 * another thread (e.g. a second Deno worker calling in) holds the pool.
 */
static void ew_parallel(task_fn fn, void *ctx, int64_t blocks, int parallel) {
  if (blocks <= 0) return;
  int expected = 0;
  if (!parallel || pool_threads <= 1 || blocks == 1 ||
      !atomic_compare_exchange_strong(&pool_owned, &expected, 1)) {
    for (int64_t b = 0; b < blocks; b++) fn(ctx, b);
    return;
  }
  job_fn = fn;
  job_ctx = ctx;
  job_blocks = blocks;
  atomic_store(&job_next, 0);
  atomic_store(&job_gen, atomic_load(&job_gen) + 1);
  atomic_store(&job_closed, 0);
  const int workers = pool_threads - 1;
  for (int i = 0; i < workers; i++) {
    if (atomic_load(&worker_sleeping[i])) {
      pthread_mutex_lock(&pool_mu);
      pthread_cond_broadcast(&pool_cv);
      pthread_mutex_unlock(&pool_mu);
      break;
    }
  }
  run_claims(0);
  atomic_store(&job_closed, 1);
  for (int i = 0; i < workers; i++) {
    /* a worker still finishing its last block: spin briefly, then yield the core (it may be
     * waiting for this one on an oversubscribed machine) */
    for (int spins = 0; atomic_load(&worker_busy[i]); spins++) {
      if (spins < 2000) CPU_RELAX();
      else sched_yield();
    }
  }
  atomic_store(&pool_owned, 0);
}

/* Elements per block, and the size below which a kernel runs on the caller alone. */
#define BLOCK 16384
#define PAR_MIN 32768

static int64_t nblocks(int64_t n, int64_t block) { return (n + block - 1) / block; }

/* ------------------------------------------------------------------------------------------ */
/* exp in double                                                                               */
/* ------------------------------------------------------------------------------------------ */

/* 1/k! for k = 0..11: the coefficients of the Taylor series of e^r. */
static const double INV_FACTORIAL[12] = {
  1.0, 1.0, 0.5, 1.0 / 6.0, 1.0 / 24.0, 1.0 / 120.0, 1.0 / 720.0, 1.0 / 5040.0, 1.0 / 40320.0,
  1.0 / 362880.0, 1.0 / 3628800.0, 1.0 / 39916800.0,
};

/* The Taylor polynomial of e^r of the given degree (<= 11), by Horner's rule in double. */
static inline double exp_taylor(double r, int degree) {
  double p = INV_FACTORIAL[degree];
  for (int k = degree - 1; k >= 0; k--) p = p * r + INV_FACTORIAL[k];
  return p;
}

/* The same in float, on the coefficients rounded to float (each 1/k! rounded once). */
static inline float expf_taylor(float r, int degree) {
  float p = (float)INV_FACTORIAL[degree];
  for (int k = degree - 1; k >= 0; k--) p = p * r + (float)INV_FACTORIAL[k];
  return p;
}

/* e^x for x in [-110, 110] (callers clamp), relative error < 1e-14. */
static inline double exp_core(double x) {
  const double shifter = 0x1.8p52;
  const double inv_ln2 = 0x1.71547652b82fep0;
  const double ln2_hi = 6.93147180369123816490e-01;
  const double ln2_lo = 1.90821492927058770002e-10;
  double kd = x * inv_ln2 + shifter;
  int64_t ki;
  memcpy(&ki, &kd, sizeof ki);
  kd -= shifter;
  const double r = (x - kd * ln2_hi) - kd * ln2_lo;
  const double p = exp_taylor(r, 11);
  const uint64_t sbits = (uint64_t)(ki + 1023) << 52;
  double scale;
  memcpy(&scale, &sbits, sizeof scale);
  return p * scale;
}

static inline double clamp_exp_arg(double x) {
  x = x < -110.0 ? -110.0 : x;
  return x > 110.0 ? 110.0 : x;
}

/* float e^x; NaN stays NaN, +-inf give inf / 0. */
static inline float expf_native(float x) {
  const float y = (float)exp_core(clamp_exp_arg((double)x));
  return x != x ? x : y;
}

/*
 * Fast float e^x for softmax and sigmoid (whose wasm kernels are XNNPACK approximations anyway):
 * n = round(x / ln 2), r = x - n ln 2 (Cody-Waite, |r| <= 0.35), degree-7 Taylor polynomial
 * (truncation < 6e-9 relative), scaled by 2^n in two steps so that denormal results round
 * once. Within 2 ulp (2.4e-7 relative) of the correctly rounded value.
 */
static inline float expf_fast(float x) {
  float xc = x < -104.0f ? -104.0f : x;
  xc = xc > 89.0f ? 89.0f : xc;
  const float shifter = 0x1.8p23f;
  float kf = xc * 0x1.715476p0f + shifter;
  int32_t ki;
  memcpy(&ki, &kf, sizeof ki);
  kf -= shifter;
  float r = xc - kf * 0x1.62e400p-1f;
  r = r - kf * 0x1.7f7d1cp-20f;
  const float p = expf_taylor(r, 7);
  const int32_t n = ki - 0x4B400000;
  const int32_t n1 = n >> 1, n2 = n - n1;
  const int32_t b1 = (n1 + 127) << 23, b2 = (n2 + 127) << 23;
  float s1, s2;
  memcpy(&s1, &b1, sizeof s1);
  memcpy(&s2, &b2, sizeof s2);
  const float y = (p * s1) * s2;
  return x != x ? x : y;
}

static inline float sigmoidf_native(float x) {
  return 1.0f / (1.0f + expf_fast(-x));
}

/* ------------------------------------------------------------------------------------------ */
/* Unary                                                                                       */
/* ------------------------------------------------------------------------------------------ */

enum {
  U_COPY = 0,
  U_NEG = 1,
  U_SQUARE = 2,
  U_SQRT = 3,
  U_EXP = 4,
  U_SIGMOID = 5,
  U_I32_F32 = 6,
  U_U8_F32 = 7 /* bool (one byte per element in the wasm heap) to float32 */
};

typedef struct {
  int op;
  const float *x;
  float *out;
  int64_t n;
} unary_ctx;

static void unary_block(void *p, int64_t b) {
  const unary_ctx *c = p;
  const int64_t s = b * BLOCK, e = s + BLOCK < c->n ? s + BLOCK : c->n;
  const float *restrict x = c->x;
  float *restrict o = c->out;
  switch (c->op) {
    case U_COPY:
      memcpy(o + s, x + s, (size_t)(e - s) * sizeof(float));
      break;
    case U_NEG:
      for (int64_t i = s; i < e; i++) o[i] = -x[i];
      break;
    case U_SQUARE:
      for (int64_t i = s; i < e; i++) o[i] = x[i] * x[i];
      break;
    case U_SQRT:
      for (int64_t i = s; i < e; i++) o[i] = sqrtf(x[i]);
      break;
    case U_EXP:
      for (int64_t i = s; i < e; i++) o[i] = expf_native(x[i]);
      break;
    case U_SIGMOID:
      for (int64_t i = s; i < e; i++) o[i] = sigmoidf_native(x[i]);
      break;
    case U_I32_F32: {
      const int32_t *restrict xi = (const int32_t *)c->x;
      for (int64_t i = s; i < e; i++) o[i] = (float)xi[i];
      break;
    }
    case U_U8_F32: {
      const uint8_t *restrict xb = (const uint8_t *)c->x;
      for (int64_t i = s; i < e; i++) o[i] = (float)xb[i];
      break;
    }
  }
}

/** out = op(x), n elements. Returns 0, or -1 for an unknown op. */
EXPORT int ew_unary(int op, const float *x, float *out, int32_t n) {
  if (op < U_COPY || op > U_U8_F32) return -1;
  unary_ctx c = {op, x, out, n};
  ew_parallel(unary_block, &c, nblocks(n, BLOCK), n >= PAR_MIN);
  return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Binary with broadcasting over collapsed dims                                                */
/* ------------------------------------------------------------------------------------------ */

enum { B_ADD = 0, B_SUB = 1, B_MUL = 2, B_DIV = 3 };
#define MAX_RANK 8

typedef struct {
  int op, rank;
  const float *a, *b;
  float *out;
  int64_t n;
  int64_t dims[MAX_RANK], sa[MAX_RANK], sb[MAX_RANK];
} binary_ctx;

#define BIN_LOOP(EXPR)                                                   \
  do {                                                                   \
    if (ia == 1 && ib == 1) {                                            \
      for (int64_t j = 0; j < len; j++) {                                \
        const float x = pa[j], y = pb[j];                                \
        po[j] = (EXPR);                                                  \
      }                                                                  \
    } else if (ia == 0) {                                                \
      const float x = pa[0];                                             \
      for (int64_t j = 0; j < len; j++) {                                \
        const float y = pb[j];                                           \
        po[j] = (EXPR);                                                  \
      }                                                                  \
    } else {                                                             \
      const float y = pb[0];                                             \
      for (int64_t j = 0; j < len; j++) {                               \
        const float x = pa[j];                                           \
        po[j] = (EXPR);                                                  \
      }                                                                  \
    }                                                                    \
  } while (0)

static void binary_run(int op, const float *restrict pa, const float *restrict pb,
                       float *restrict po, int64_t len, int64_t ia, int64_t ib) {
  switch (op) {
    case B_ADD: BIN_LOOP(x + y); break;
    case B_SUB: BIN_LOOP(x - y); break;
    case B_MUL: BIN_LOOP(x * y); break;
    case B_DIV: BIN_LOOP(x / y); break;
  }
}

static void binary_block(void *p, int64_t blk) {
  const binary_ctx *c = p;
  const int r = c->rank;
  const int64_t inner = c->dims[r - 1];
  int64_t pos = blk * BLOCK;
  const int64_t end = pos + BLOCK < c->n ? pos + BLOCK : c->n;
  /* multi-index of pos */
  int64_t idx[MAX_RANK];
  int64_t rem = pos, offa = 0, offb = 0;
  for (int d = r - 1; d >= 0; d--) {
    idx[d] = rem % c->dims[d];
    rem /= c->dims[d];
    offa += idx[d] * c->sa[d];
    offb += idx[d] * c->sb[d];
  }
  while (pos < end) {
    int64_t len = inner - idx[r - 1];
    if (len > end - pos) len = end - pos;
    binary_run(c->op, c->a + offa, c->b + offb, c->out + pos, len, c->sa[r - 1], c->sb[r - 1]);
    pos += len;
    /* advance the multi-index by len along the last dim (carrying) */
    idx[r - 1] += len;
    offa += len * c->sa[r - 1];
    offb += len * c->sb[r - 1];
    for (int d = r - 1; d > 0 && idx[d] == c->dims[d]; d--) {
      idx[d] = 0;
      offa -= c->dims[d] * c->sa[d];
      offb -= c->dims[d] * c->sb[d];
      idx[d - 1]++;
      offa += c->sa[d - 1];
      offb += c->sb[d - 1];
    }
  }
}

/**
 * out[i] = a[i . sa] op b[i . sb] over the output dims `dims` (rank <= 8, row-major); strides
 * in elements, 0 for a broadcast dim. The last stride of each input must be 0 or 1. Returns 0,
 * or -1 for arguments it does not handle.
 */
EXPORT int ew_binary(int op, const float *a, const float *b, float *out, int rank,
                     const int32_t *dims, const int32_t *sa, const int32_t *sb) {
  if (op < B_ADD || op > B_DIV || rank < 1 || rank > MAX_RANK) return -1;
  binary_ctx c;
  c.op = op;
  c.rank = rank;
  c.a = a;
  c.b = b;
  c.out = out;
  c.n = 1;
  for (int d = 0; d < rank; d++) {
    if (dims[d] < 1) return -1;
    c.dims[d] = dims[d];
    c.sa[d] = sa[d];
    c.sb[d] = sb[d];
    c.n *= dims[d];
  }
  const int64_t la = c.sa[rank - 1], lb = c.sb[rank - 1];
  if (!((la == 1 && lb == 1) || (la == 0 && lb == 1) || (la == 1 && lb == 0))) return -1;
  ew_parallel(binary_block, &c, nblocks(c.n, BLOCK), c.n >= PAR_MIN);
  return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Reductions over the middle axis of [outer, red, inner]                                      */
/* ------------------------------------------------------------------------------------------ */

enum { R_SUM = 0, R_MEAN = 1 };

typedef struct {
  const float *x;
  double *partial;
  int64_t outer, red, inner, rblocks, iblock, items, per_task;
} reduce_ctx;

/* sum of n contiguous floats in double, 8 accumulators combined in a fixed order */
static double sum_contig(const float *restrict x, int64_t n) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; k++) acc[k] += (double)x[i + k];
  }
  double s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  for (; i < n; i++) s += (double)x[i];
  return s;
}

/* inner == 1: item b = (row, chunk of BLOCK elements of that row) -> partial[b] */
static void reduce_rows_item(const reduce_ctx *c, int64_t b) {
  const int64_t row = b / c->rblocks, chunk = b % c->rblocks;
  const int64_t s = chunk * BLOCK, e = s + BLOCK < c->red ? s + BLOCK : c->red;
  c->partial[b] = sum_contig(c->x + row * c->red + s, e - s);
}

/* task t = per_task consecutive items (short rows are grouped so a task holds about BLOCK
 * elements: one atomic claim per row of 32 costs more than the row); each item's sum does not
 * depend on the grouping */
static void reduce_rows_block(void *p, int64_t t) {
  const reduce_ctx *c = p;
  const int64_t b0 = t * c->per_task;
  const int64_t b1 = b0 + c->per_task < c->items ? b0 + c->per_task : c->items;
  for (int64_t b = b0; b < b1; b++) reduce_rows_item(c, b);
}

/* inner > 1: block b = (outer index, range of iblock inner columns) -> partial[o*inner + j] */
static void reduce_cols_block(void *p, int64_t b) {
  const reduce_ctx *c = p;
  const int64_t per = (c->inner + c->iblock - 1) / c->iblock;
  const int64_t o = b / per, j0 = (b % per) * c->iblock;
  const int64_t j1 = j0 + c->iblock < c->inner ? j0 + c->iblock : c->inner;
  double *restrict acc = c->partial + o * c->inner;
  for (int64_t j = j0; j < j1; j++) acc[j] = 0;
  const float *base = c->x + o * c->red * c->inner;
  for (int64_t r = 0; r < c->red; r++) {
    const float *restrict row = base + r * c->inner;
    for (int64_t j = j0; j < j1; j++) acc[j] += (double)row[j];
  }
}

/**
 * out[o, j] = sum (or mean) over r of x[o, r, j], accumulated in double. Returns 0, or -1 for
 * bad arguments / out of memory.
 */
EXPORT int ew_reduce(int op, const float *x, float *out, int32_t outer, int32_t red,
                     int32_t inner) {
  if ((op != R_SUM && op != R_MEAN) || outer < 1 || red < 1 || inner < 1) return -1;
  reduce_ctx c = {x, NULL, outer, red, inner, 0, 0, 0, 1};
  const int par = (int64_t)outer * red * inner >= PAR_MIN;
  if (inner == 1) {
    c.rblocks = nblocks(red, BLOCK);
    c.partial = malloc((size_t)(c.outer * c.rblocks) * sizeof(double));
    if (c.partial == NULL) return -1;
    c.items = c.outer * c.rblocks;
    c.per_task = red >= BLOCK ? 1 : BLOCK / red;
    ew_parallel(reduce_rows_block, &c, nblocks(c.items, c.per_task), par);
    for (int64_t o = 0; o < outer; o++) {
      double s = 0;
      for (int64_t k = 0; k < c.rblocks; k++) s += c.partial[o * c.rblocks + k];
      out[o] = op == R_MEAN ? (float)(s / (double)red) : (float)s;
    }
  } else {
    c.iblock = 256;
    c.partial = malloc((size_t)(c.outer * c.inner) * sizeof(double));
    if (c.partial == NULL) return -1;
    ew_parallel(reduce_cols_block, &c, c.outer * nblocks(inner, c.iblock), par);
    for (int64_t i = 0; i < c.outer * c.inner; i++) {
      const double s = c.partial[i];
      out[i] = op == R_MEAN ? (float)(s / (double)red) : (float)s;
    }
  }
  free(c.partial);
  return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Softmax over the last axis                                                                  */
/* ------------------------------------------------------------------------------------------ */

typedef struct {
  const float *x;
  float *out;
  int64_t rows, cols, rows_per_block;
} softmax_ctx;

/* max of n >= 1 floats (lanes compare as `x > m ? x : m`; NaN handling is irrelevant here: a NaN
 * input makes its whole softmax row NaN through exp and the sum anyway) */
static float row_max(const float *restrict x, int64_t n) {
  float m = x[0];
  int64_t j = 0;
#if defined(__AVX__)
  if (n >= 8) {
    __m256 v = _mm256_loadu_ps(x);
    for (j = 8; j + 8 <= n; j += 8) v = _mm256_max_ps(_mm256_loadu_ps(x + j), v);
    float lanes[8];
    _mm256_storeu_ps(lanes, v);
    m = lanes[0];
    for (int k = 1; k < 8; k++) m = lanes[k] > m ? lanes[k] : m;
  }
#endif
  for (; j < n; j++) m = x[j] > m ? x[j] : m;
  return m;
}

static void softmax_block(void *p, int64_t b) {
  const softmax_ctx *c = p;
  const int64_t r0 = b * c->rows_per_block;
  const int64_t r1 = r0 + c->rows_per_block < c->rows ? r0 + c->rows_per_block : c->rows;
  const int64_t n = c->cols;
  for (int64_t r = r0; r < r1; r++) {
    const float *restrict x = c->x + r * n;
    float *restrict o = c->out + r * n;
    const float m = row_max(x, n);
    for (int64_t j = 0; j < n; j++) o[j] = expf_fast(x[j] - m);
    const double s = sum_contig(o, n);
    for (int64_t k = 0; k < n; k++) o[k] = (float)((double)o[k] / s);
  }
}

/** Softmax of each row of x [rows, cols] into out. Returns 0, or -1 for bad arguments. */
EXPORT int ew_softmax(const float *x, float *out, int32_t rows, int32_t cols) {
  if (rows < 1 || cols < 1) return -1;
  softmax_ctx c = {x, out, rows, cols, cols >= BLOCK ? 1 : BLOCK / cols};
  ew_parallel(softmax_block, &c, nblocks(rows, c.rows_per_block), (int64_t)rows * cols >= PAR_MIN);
  return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Transpose (4-byte elements) over collapsed dims                                             */
/* ------------------------------------------------------------------------------------------ */

#define TILE 32

typedef struct {
  const uint32_t *x;
  uint32_t *out;
  int rank;
  int64_t odims[MAX_RANK];  /* output dims */
  int64_t istr[MAX_RANK];   /* input stride of each output axis */
  int64_t ostr[MAX_RANK];   /* output stride of each output axis */
  int q;                    /* output axis that is the input's last (contiguous) axis */
  int64_t nbatch;           /* product of output dims other than q and rank-1 */
  int64_t itiles;           /* tiles along axis q */
  int64_t rows_per_block;   /* copy mode: output rows per block */
  int64_t rows;             /* copy mode: output rows */
} transpose_ctx;

/* offsets of batch index bi over the output axes other than `skip1` and `skip2` */
static void batch_offsets(const transpose_ctx *c, int64_t bi, int skip1, int skip2,
                          int64_t *io, int64_t *oo) {
  int64_t i = 0, o = 0;
  for (int d = c->rank - 1; d >= 0; d--) {
    if (d == skip1 || d == skip2) continue;
    const int64_t k = bi % c->odims[d];
    bi /= c->odims[d];
    i += k * c->istr[d];
    o += k * c->ostr[d];
  }
  *io = i;
  *oo = o;
}

/* Last axis stays last: copy contiguous rows of odims[rank-1] elements. */
static void transpose_copy_block(void *p, int64_t b) {
  const transpose_ctx *c = p;
  const int64_t r0 = b * c->rows_per_block;
  const int64_t r1 = r0 + c->rows_per_block < c->rows ? r0 + c->rows_per_block : c->rows;
  const int64_t inner = c->odims[c->rank - 1];
  for (int64_t r = r0; r < r1; r++) {
    int64_t io, oo;
    batch_offsets(c, r, c->rank - 1, -1, &io, &oo);
    memcpy(c->out + oo, c->x + io, (size_t)inner * 4);
  }
}

/* General: 32x32 tiles between output axis q (input-contiguous) and the output's last axis. */
static void transpose_tile_block(void *p, int64_t b) {
  const transpose_ctx *c = p;
  const int last = c->rank - 1, q = c->q;
  const int64_t bi = b / c->itiles, it = b % c->itiles;
  int64_t io, oo;
  batch_offsets(c, bi, q, last, &io, &oo);
  const int64_t ni = c->odims[q], nj = c->odims[last];
  const int64_t i0 = it * TILE, i1 = i0 + TILE < ni ? i0 + TILE : ni;
  const int64_t os_q = c->ostr[q], is_j = c->istr[last];
  const uint32_t *restrict x = c->x + io;
  uint32_t *restrict o = c->out + oo;
  for (int64_t j0 = 0; j0 < nj; j0 += TILE) {
    const int64_t j1 = j0 + TILE < nj ? j0 + TILE : nj;
    for (int64_t i = i0; i < i1; i++) {
      const uint32_t *restrict xi = x + i;
      uint32_t *restrict oi = o + i * os_q;
      for (int64_t j = j0; j < j1; j++) oi[j] = xi[j * is_j];
    }
  }
}

/**
 * out = transpose(x, perm) for 4-byte elements; `dims` are the input dims (rank <= 8, no
 * size-1 dims needed). Returns 0, or -1 for bad arguments.
 */
EXPORT int ew_transpose(const void *x, void *out, int rank, const int32_t *dims,
                        const int32_t *perm) {
  if (rank < 1 || rank > MAX_RANK) return -1;
  transpose_ctx c;
  memset(&c, 0, sizeof c);
  c.x = x;
  c.out = out;
  c.rank = rank;
  int64_t istride[MAX_RANK];
  int64_t n = 1;
  int seen = 0;
  for (int d = rank - 1; d >= 0; d--) {
    if (dims[d] < 1) return -1;
    istride[d] = n;
    n *= dims[d];
  }
  for (int d = 0; d < rank; d++) {
    if (perm[d] < 0 || perm[d] >= rank || (seen & (1 << perm[d]))) return -1;
    seen |= 1 << perm[d];
    c.odims[d] = dims[perm[d]];
    c.istr[d] = istride[perm[d]];
    if (perm[d] == rank - 1) c.q = d;
  }
  int64_t s = 1;
  for (int d = rank - 1; d >= 0; d--) {
    c.ostr[d] = s;
    s *= c.odims[d];
  }
  const int par = n >= PAR_MIN;
  if (c.q == rank - 1) {
    c.rows = n / c.odims[rank - 1];
    c.rows_per_block = c.odims[rank - 1] >= BLOCK ? 1 : BLOCK / c.odims[rank - 1];
    ew_parallel(transpose_copy_block, &c, nblocks(c.rows, c.rows_per_block), par);
  } else {
    c.nbatch = n / (c.odims[c.q] * c.odims[rank - 1]);
    c.itiles = nblocks(c.odims[c.q], TILE);
    ew_parallel(transpose_tile_block, &c, c.nbatch * c.itiles, par);
  }
  return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Segment sum (the gradient of gather)                                                        */
/* ------------------------------------------------------------------------------------------ */

typedef struct {
  const float *x;
  const int32_t *ids;
  float *out;
  int64_t n, inner, segments, cblock;
} segsum_ctx;

static void segsum_block(void *p, int64_t b) {
  const segsum_ctx *c = p;
  const int64_t j0 = b * c->cblock, j1 = j0 + c->cblock < c->inner ? j0 + c->cblock : c->inner;
  for (int64_t s = 0; s < c->segments; s++) {
    memset(c->out + s * c->inner + j0, 0, (size_t)(j1 - j0) * sizeof(float));
  }
  for (int64_t i = 0; i < c->n; i++) {
    const int32_t s = c->ids[i];
    if (s < 0 || s >= c->segments) continue;
    float *restrict o = c->out + (int64_t)s * c->inner;
    const float *restrict xi = c->x + i * c->inner;
    for (int64_t j = j0; j < j1; j++) o[j] += xi[j];
  }
}

/**
 * out[s, j] = sum over i with ids[i] = s of x[i, j] (float32, in index order; ids outside
 * [0, segments) dropped). Returns 0, or -1 for bad arguments.
 */
EXPORT int ew_segment_sum(const float *x, const int32_t *ids, float *out, int32_t n,
                          int32_t inner, int32_t segments) {
  if (n < 0 || inner < 1 || segments < 1) return -1;
  segsum_ctx c = {x, ids, out, n, inner, segments, 0};
  /* columns per block: at least 64 (a cache line of floats x 4), blocks for both threads */
  c.cblock = inner >= 128 ? 64 : inner;
  ew_parallel(segsum_block, &c, nblocks(inner, c.cblock), ((int64_t)n + segments) * inner >= PAR_MIN);
  return 0;
}

/** Version of this file's C API (checked by the TypeScript side). */
/* ------------------------------------------------------------------------------------------ */
/* Batched small products: one single-threaded cblas_sgemm per batch item, items over the pool */
/* ------------------------------------------------------------------------------------------ */

/* OpenBLAS's cblas_sgemm and thread setters, looked up in the copy the process already loaded
 * (kernels/blas.ts opens it; RTLD_NOLOAD never loads a second one). */
typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *,
                         int, float, float *, int);
static sgemm_fn gemm_sgemm = NULL;
static void (*gemm_set_threads)(int) = NULL;
static int (*gemm_get_threads)(void) = NULL;

/** Find OpenBLAS at `path` (already loaded). 0, or -1 when it is not loaded or lacks a symbol. */
EXPORT int ew_gemm_init(const char *path) {
  void *h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
  if (h == NULL) return -1;
  gemm_sgemm = (sgemm_fn)dlsym(h, "cblas_sgemm");
  gemm_set_threads = (void (*)(int))dlsym(h, "openblas_set_num_threads");
  gemm_get_threads = (int (*)(void))dlsym(h, "openblas_get_num_threads");
  return gemm_sgemm && gemm_set_threads && gemm_get_threads ? 0 : -1;
}

typedef struct {
  int ta, tb, m, n, k;
  const float *a, *b;
  float *c;
  int64_t sa, sb;
} gemm_ctx;

static void gemm_block(void *p, int64_t i) {
  const gemm_ctx *g = p;
  /* CblasRowMajor = 101, CblasNoTrans = 111, CblasTrans = 112 */
  gemm_sgemm(101, g->ta ? 112 : 111, g->tb ? 112 : 111, g->m, g->n, g->k, 1.0f, g->a + i * g->sa,
             g->ta ? g->m : g->k, g->b + i * g->sb, g->tb ? g->k : g->n, 0.0f,
             g->c + i * (int64_t)g->m * g->n, g->n);
}

/**
 * C[i] = op(A[i]) op(B[i]) for i < batch (row-major; a stride of 0 broadcasts one matrix), each
 * product on one OpenBLAS thread, the items spread over the pool. OpenBLAS's own thread count is
 * set to 1 for the call and restored after. Returns 0, or -1 before ew_gemm_init succeeded.
 */
EXPORT int ew_gemm_batch(int ta, int tb, int m, int n, int k, const float *a, int32_t sa,
                         const float *b, int32_t sb, float *c, int32_t batch) {
  if (gemm_sgemm == NULL || m < 1 || n < 1 || k < 1 || batch < 1) return -1;
  const int prev = gemm_get_threads();
  if (prev != 1) gemm_set_threads(1);
  gemm_ctx g = {ta, tb, m, n, k, a, b, c, sa, sb};
  ew_parallel(gemm_block, &g, batch, 1);
  if (prev != 1) gemm_set_threads(prev);
  return 0;
}

EXPORT int ew_api_version(void) { return 1; }
