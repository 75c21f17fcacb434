/* Tiny TAP harness for lib unit tests: CHECK(cond, "name"), then return unit_done(). */
#ifndef IOT_UNIT_H
#define IOT_UNIT_H
#include <stdio.h>
#include <string.h>
#include <math.h>
static int unit_n, unit_fail;
#define CHECK(cond, ...) do { int c_ = !!(cond); ++unit_n; \
    if (c_) { printf("ok %d - ", unit_n); } else { ++unit_fail; printf("not ok %d - ", unit_n); } \
    printf(__VA_ARGS__); printf("%s\n", c_ ? "" : "  # at " __FILE__ ":" UNIT_STR(__LINE__)); } while (0)
#define UNIT_STR2(x) #x
#define UNIT_STR(x) UNIT_STR2(x)
#define CHECK_STR(a, b, name) do { const char *a_ = (a), *b_ = (b); \
    int ok_ = a_ && b_ && strcmp(a_, b_) == 0; CHECK(ok_, "%s", name); \
    if (!ok_) printf("#   got:  %s\n#   want: %s\n", a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } while (0)
#define CHECK_NEAR(a, b, tol, name) do { double a_ = (a), b_ = (b); \
    int ok_ = fabs(a_ - b_) <= (tol); CHECK(ok_, "%s", name); \
    if (!ok_) printf("#   got:  %.17g\n#   want: %.17g\n", a_, b_); } while (0)
static inline int unit_done(void) { printf("1..%d\n", unit_n); return unit_fail ? 1 : 0; }
#endif
