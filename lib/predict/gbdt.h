/* gbdt: histogram-based gradient-boosted regression trees (Friedman 2001, "Greedy function
 * approximation"; second-order leaf values and split gain as in Chen & Guestrin 2016, XGBoost;
 * histogram bins and the sibling-subtraction trick as in Ke et al. 2017, LightGBM).
 * Features are binned once into at most 255 value bins per feature plus bin 0 = missing (NaN).
 * A split sends bins <= b left, so a missing value always goes left. Trees are stored complete
 * (2^depth leaves): a node that stops early becomes a pass-through (every row left), which makes
 * scoring branch-free. Deterministic: same data, params and seed give the same model bit for bit. */
#ifndef IOT_GBDT_H
#define IOT_GBDT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum iot_loss { IOT_LOSS_SQUARED = 0, IOT_LOSS_LOGLOSS = 1 };

#define IOT_GBDT_BINS 256       /* bin 0 = missing, bins 1..255 = values */
#define IOT_GBDT_MAX_DEPTH 10

struct iot_gbdt_params {
    int n_trees;                /* default 400 */
    double lr;                  /* learning rate (shrinkage), default 0.05 */
    int max_depth;              /* 1..IOT_GBDT_MAX_DEPTH, default 4 */
    double lambda;              /* L2 on leaf values, default 1 */
    double min_child_weight;    /* minimum hessian sum in a child, default 1e-3 */
    int min_leaf;               /* minimum rows in a child, default 20 */
    double subsample;           /* rows drawn (without replacement) per tree, default 0.8 */
    double colsample;           /* features drawn per tree, default 1 */
    uint64_t seed;              /* default 1 */
    int loss;                   /* enum iot_loss */
};
/* Fills the defaults above. */
void iot_gbdt_defaults(struct iot_gbdt_params *p);

/* A node for scoring raw values: go right when x[feat] > thr (a missing value never does). */
struct iot_gbdt_node { uint32_t feat; float thr; };

/* A trained model. Public so that model.c can serialise it. */
struct iot_gbdt {
    int p;                      /* number of features */
    int loss;
    int depth;                  /* every tree has 2^depth - 1 nodes and 2^depth leaves */
    int n_trees;
    double base;                /* initial raw score */
    int *nedges;                /* [p] number of bin edges of feature j (<= 254) */
    float *edges;               /* [p * 255] edges of feature j at j*255: bin b >= 1 holds
                                   values v with edges[b-2] < v <= edges[b-1] */
    uint16_t *feat;             /* [n_trees * nodes] split feature */
    uint8_t *bin;               /* [n_trees * nodes] rows with bin <= this go left */
    double *leaf;               /* [n_trees * leaves] leaf values (shrinkage included) */
    double *gain;               /* [p] total split gain per feature (importance) */
    int64_t *splits;            /* [p] number of real splits per feature */
    struct iot_gbdt_node *node; /* [n_trees * nodes] scoring form, built by iot_gbdt_finish */
    uint32_t *leaf_w;           /* [n_trees * 2 * max(8, leaves)] scoring form of the leaves: per
                                   tree the low then the high 32 bits of each leaf double */
};

/* Trains on X (n rows × p features, row-major floats, NaN = missing) and targets y (for log
 * loss 0 or 1). progress, if not NULL, is called after each tree. Returns a new model (caller
 * frees with iot_gbdt_free), or NULL with *err set when the input cannot be used
 * (n == 0, p == 0 or p > 65535, bad parameters). */
struct iot_gbdt *iot_gbdt_train(const float *X, size_t n, int p, const double *y,
                                const struct iot_gbdt_params *prm,
                                void (*progress)(int done, int total, void *ctx), void *ctx,
                                const char **err);

/* An empty model with storage for p features and n_trees trees of the given depth (for model
 * loading); every array zeroed. */
struct iot_gbdt *iot_gbdt_alloc(int p, int depth, int n_trees);

/* After filling nedges/edges/feat/bin by hand (model loading): sets the unused edges to +inf
 * (the branch-free bin search needs them) and builds the packed scoring nodes. */
void iot_gbdt_finish(struct iot_gbdt *m);

/* Maps one row of features to bins (xb has p bytes); NaN and -inf are missing (bin 0). */
void iot_gbdt_bin_row(const struct iot_gbdt *m, const float *x, uint8_t *xb);
/* Raw score (sum of leaves + base) of one row of features. Scoring compares raw values with
 * the bin edges, which gives exactly the binned decision of training. */
double iot_gbdt_raw(const struct iot_gbdt *m, const float *x);
/* Raw scores of rows feature rows (row-major, p floats each) into out[0..rows-1], tree by tree
 * over the batch. Uses the AVX2 kernel when the CPU has it and depth <= 6 (see iot_gbdt_simd),
 * else the portable one; both give exactly the sums of iot_gbdt_raw and of training. */
void iot_gbdt_raw_batch(const struct iot_gbdt *m, const float *x, size_t rows, double *out);
/* The same over feature-major rows: feature j of row r at xT[j * ld + r]. ld >= rows rounded up
 * to a multiple of 8, and those padding lanes must be readable (their scores are dropped). */
void iot_gbdt_raw_cols(const struct iot_gbdt *m, const float *xT, size_t ld, size_t rows, double *out);
/* The portable form of iot_gbdt_raw_batch (four walks interleaved); tests compare the two. */
void iot_gbdt_raw_batch_scalar(const struct iot_gbdt *m, const float *x, size_t rows, double *out);
/* True when iot_gbdt_raw_batch uses the SIMD kernel for this model on this CPU. */
bool iot_gbdt_simd(const struct iot_gbdt *m);
/* Prediction of a row of features: the value for squared loss, the probability for log loss. */
double iot_gbdt_predict(const struct iot_gbdt *m, const float *x);
/* Raw score to output scale (identity, or logistic for log loss). */
double iot_gbdt_link(const struct iot_gbdt *m, double raw);

/* Upper edge of bin b of feature j (the threshold value of a split), +inf past the last. */
double iot_gbdt_threshold(const struct iot_gbdt *m, int j, int b);
void iot_gbdt_free(struct iot_gbdt *m);
#endif
