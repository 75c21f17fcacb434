/* expr: recursive-descent compiler to a node array, tree-walking evaluator with
 * three-valued logic (an explicit "undefined", as IoT Hub and Cosmos DB do).
 * Value semantics follow Kusto where it has one (learn.microsoft.com/kusto/query/
 * scalar-data-types/, …/datetime-timespan-arithmetic, …/numerical-operators): int64 integers
 * stay exact, datetimes and timespans are int64 nanoseconds, `1d / 1h` is 24. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "dtoa.h"
#include "expr.h"
#include "time.h"

enum xop {
    X_CONST, X_FIELD, X_IN, X_NOTIN, X_NOT, X_NEG, X_AND, X_OR,
    X_EQ, X_NE, X_LT, X_LE, X_GT, X_GE, X_ADD, X_SUB, X_MUL, X_DIV, X_MOD,
    X_EXISTS, X_LOWER, X_UPPER, X_STARTS, X_ENDS, X_CONTAINS, X_LENGTH,
    X_ABS, X_FLOOR, X_CEIL, X_SQRT, X_ROUND, X_ISNUM, X_ISSTR, X_ISNULL, X_ISBOOL,
    /* value functions (arguments in e->argv[alo..ahi)) */
    X_LOG, X_EXP, X_POW, X_MIN, X_MAX, X_COALESCE, X_IFF, X_CASE, X_TOSTRING, X_TONUMBER,
    X_CONCAT, X_SUBSTRING, X_NOW, X_AGO, X_TODATETIME, X_BIN, X_HOUROFDAY, X_DAYOFWEEK,
    X_ARRAY, X_OBJECT,
};

/* Value kinds at evaluation time. XOBJ: an object or array (s/sn its JSON text), from a
 * field or built by a literal; only exists(), the is*() tests and output look inside. XINT is
 * an exact int64, XNUM a finite double, XTIME nanoseconds since the Unix epoch (UTC), XSPAN a
 * duration in nanoseconds. */
enum { XU = 0, XNULL, XBOOL, XNUM, XSTR, XOBJ, XINT, XTIME, XSPAN };

struct xv {
    int t;
    bool b;
    double n;
    int64_t i;           /* XINT, XTIME, XSPAN */
    const char *s;
    size_t sn;
    const char *raw;     /* the JSON text when the value is a field's, as read (else NULL) */
    size_t rawn;
};

struct node {
    int op;
    int a, b;            /* children (node indices), -1 if none */
    int field;           /* X_FIELD, X_EXISTS */
    int lo, hi;          /* X_IN/X_NOTIN: constants [lo, hi) in e->list */
    int alo, ahi;        /* function arguments: node indices in e->argv[alo..ahi) */
    int scratch;         /* index into e->bufs for string results, -1 if none */
    struct xv k;         /* X_CONST */
};

struct xstate {          /* mutable per-evaluation state (the expression itself is const) */
    const char *err;     /* an error (not undefined): integer overflow */
    int64_t now;
};

struct iot_expr {
    struct node *nodes;
    int nnodes, capnodes, root;
    struct xv *list;     /* constants of `in` lists */
    int nlist;
    int *argv;
    int nargv;
    char **strs;         /* owned constant strings */
    int nstrs;
    struct iot_buf *bufs;/* scratch, reused across evaluations (not thread-safe) */
    int nbufs;
    struct xstate *st;
    char typerr[120];    /* the first type error known at compile time ("" if none) */
};

/* ---------------------------------------------------------------- compiler */

enum tok { T_EOF, T_NUM, T_STR, T_IDENT, T_PATH, T_LP, T_RP, T_LB, T_RB, T_COMMA,
           T_OR, T_AND, T_NOT, T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE,
           T_PLUS, T_MINUS, T_STAR, T_SLASH, T_PCT, T_IN, T_TRUE, T_FALSE, T_NULL, T_ERR,
           T_SPAN, T_LCB, T_RCB, T_COLON };

struct parser {
    const char *s;
    size_t pos;          /* after the current token */
    size_t tpos;         /* start of the current token */
    enum tok t;
    double num;
    int isint;           /* T_NUM: an integer literal that fits int64 (in inum) */
    int64_t inum;        /* T_NUM integer, T_SPAN nanoseconds */
    struct iot_buf text; /* T_STR contents, T_IDENT / T_PATH name */
    struct iot_expr *e;
    struct iot_fields *f;
    char *err;
    size_t errcap;
    int failed;
    int depth;
};

static void perr(struct parser *p, size_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void perr(struct parser *p, size_t at, const char *fmt, ...)
{
    if (p->failed) return;
    p->failed = 1;
    if (!p->err || !p->errcap) return;
    int n = snprintf(p->err, p->errcap, "column %zu: ", at + 1);
    if (n < 0 || (size_t)n >= p->errcap) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err + n, p->errcap - (size_t)n, fmt, ap);
    va_end(ap);
}

static int is_id0(int c) { return isalpha(c) || c == '_' || c == '$'; }
static int is_id(int c) { return isalnum(c) || c == '_' || c == '$'; }

static int kw(const char *w, size_t n, const char *k)
{
    return strlen(k) == n && strncasecmp(w, k, n) == 0;
}

static void put_utf8(struct iot_buf *b, unsigned long cp)
{
    char u[4];
    if (cp < 0x80) { iot_buf_addc(b, (char)cp); return; }
    if (cp < 0x800) { u[0] = (char)(0xC0 | cp >> 6); u[1] = (char)(0x80 | (cp & 0x3F)); iot_buf_add(b, u, 2); return; }
    if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12); u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F)); iot_buf_add(b, u, 3); return;
    }
    u[0] = (char)(0xF0 | cp >> 18); u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); u[3] = (char)(0x80 | (cp & 0x3F));
    iot_buf_add(b, u, 4);
}

static int hex4(const char *s, unsigned long *cp)
{
    *cp = 0;
    for (int i = 0; i < 4; i++) {
        int c = s[i];
        if (!isxdigit(c)) return -1;
        *cp = *cp * 16 + (unsigned long)(isdigit(c) ? c - '0' : (tolower(c) - 'a' + 10));
    }
    return 0;
}

/* A quoted string literal: '...' or "..." with \' \" \\ \/ \n \t \r \b \f \uXXXX. */
static void lex_string(struct parser *p)
{
    const char *s = p->s;
    char q = s[p->pos++];
    iot_buf_reset(&p->text);
    for (;;) {
        char c = s[p->pos];
        if (!c) { perr(p, p->tpos, "unterminated string"); p->t = T_ERR; return; }
        p->pos++;
        if (c == q) break;
        if (c != '\\') { iot_buf_addc(&p->text, c); continue; }
        char d = s[p->pos++];
        switch (d) {
        case '\'': case '"': case '\\': case '/': iot_buf_addc(&p->text, d); break;
        case 'n': iot_buf_addc(&p->text, '\n'); break;
        case 't': iot_buf_addc(&p->text, '\t'); break;
        case 'r': iot_buf_addc(&p->text, '\r'); break;
        case 'b': iot_buf_addc(&p->text, '\b'); break;
        case 'f': iot_buf_addc(&p->text, '\f'); break;
        case 'u': {
            unsigned long cp, lo;
            if (hex4(s + p->pos, &cp)) goto bad;
            p->pos += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && s[p->pos] == '\\' && s[p->pos + 1] == 'u'
                && !hex4(s + p->pos + 2, &lo) && lo >= 0xDC00 && lo < 0xE000) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p->pos += 6;
            } else if (cp >= 0xD800 && cp < 0xE000) {
                perr(p, p->pos - 6, "lone surrogate in \\u escape"); p->t = T_ERR; return;
            }
            put_utf8(&p->text, cp);
            break;
        }
        default:
        bad:
            perr(p, p->pos - 2, "bad escape in string"); p->t = T_ERR; return;
        }
    }
    p->t = T_STR;
}

/* A field path: segments of [A-Za-z_$][A-Za-z0-9_$]* or `any text but . and backquote`,
 * joined by '.'. The name goes to p->text; a single plain segment is T_IDENT (it may be a
 * keyword or a function name), anything else T_PATH. */
static void lex_path(struct parser *p)
{
    const char *s = p->s;
    int segs = 0, quoted = 0;
    iot_buf_reset(&p->text);
    for (;;) {
        if (s[p->pos] == '`') {
            size_t st = ++p->pos;
            while (s[p->pos] && s[p->pos] != '`') p->pos++;
            if (s[p->pos] != '`' || p->pos == st) {
                perr(p, st - 1, "bad quoted field name (empty or unterminated)");
                p->t = T_ERR; return;
            }
            /* a name with dots stays quoted in the path, so it is one member (iot_fields_add) */
            bool dotted = memchr(s + st, '.', p->pos - st) != NULL;
            if (dotted) iot_buf_addc(&p->text, '`');
            iot_buf_add(&p->text, s + st, p->pos - st);
            if (dotted) iot_buf_addc(&p->text, '`');
            p->pos++;
            quoted = 1;
        } else if (is_id0((unsigned char)s[p->pos])) {
            size_t st = p->pos;
            while (is_id((unsigned char)s[p->pos])) p->pos++;
            iot_buf_add(&p->text, s + st, p->pos - st);
        } else {
            perr(p, p->pos, "expected a field name after '.'"); p->t = T_ERR; return;
        }
        segs++;
        if (s[p->pos] != '.') break;
        iot_buf_addc(&p->text, '.');
        p->pos++;
    }
    p->t = (segs == 1 && !quoted) ? T_IDENT : T_PATH;
}

/* Timespan units (Kusto timespan literals; `m` is minutes). */
static const struct { const char *u; int64_t ns; } units[] = {
    { "d", INT64_C(86400000000000) }, { "h", INT64_C(3600000000000) }, { "m", INT64_C(60000000000) },
    { "s", IOT_NS_PER_S }, { "ms", IOT_NS_PER_MS }, { "us", 1000 }, { "microsecond", 1000 },
    { "microseconds", 1000 }, { "tick", 100 }, { "ticks", 100 }, { "ns", 1 },
};

static void lex_number(struct parser *p)
{
    const char *s = p->s;
    char *end;
    unsigned char c = (unsigned char)s[p->pos];
    p->isint = 0;
    if (c == '0' && (s[p->pos + 1] == 'x' || s[p->pos + 1] == 'X')) {
        errno = 0;
        unsigned long long u = strtoull(s + p->pos, &end, 16);
        p->num = (double)u;
        if (errno == 0 && u <= INT64_MAX) { p->isint = 1; p->inum = (int64_t)u; }
    } else {
        p->num = strtod(s + p->pos, &end);
        size_t q = p->pos;
        while (isdigit((unsigned char)s[q])) q++;
        if (s + q == end) {
            errno = 0;
            long long v = strtoll(s + p->pos, NULL, 10);
            if (errno == 0) { p->isint = 1; p->inum = v; }
        }
    }
    if (is_id0((unsigned char)*end)) {
        const char *u = end;
        while (isalpha((unsigned char)*end)) end++;
        for (size_t k = 0; k < sizeof units / sizeof units[0]; k++) {
            if (!kw(u, (size_t)(end - u), units[k].u) || is_id((unsigned char)*end) || *end == '.') continue;
            if (p->isint) {
                if (__builtin_mul_overflow(p->inum, units[k].ns, &p->inum)) break;
            } else {
                double v = p->num * (double)units[k].ns;
                if (!(fabs(v) < 9.2e18)) break;
                p->inum = llround(v);
            }
            p->pos = (size_t)(end - s);
            p->t = T_SPAN;
            return;
        }
        perr(p, p->tpos, "bad number"); p->t = T_ERR; return;
    }
    if (is_id((unsigned char)*end) || *end == '.') {
        perr(p, p->tpos, "bad number"); p->t = T_ERR; return;
    }
    p->pos = (size_t)(end - s);
    p->t = T_NUM;
}

static void next(struct parser *p)
{
    const char *s = p->s;
    while (s[p->pos] == ' ' || s[p->pos] == '\t' || s[p->pos] == '\n' || s[p->pos] == '\r') p->pos++;
    p->tpos = p->pos;
    unsigned char c = (unsigned char)s[p->pos];
    if (!c) { p->t = T_EOF; return; }
    if (isdigit(c) || (c == '.' && isdigit((unsigned char)s[p->pos + 1]))) { lex_number(p); return; }
    if (c == '"' || c == '\'') { lex_string(p); return; }
    if (is_id0(c) || c == '`') {
        lex_path(p);
        if (p->t != T_IDENT) return;
        const char *w = p->text.p;
        size_t n = p->text.len;
        if (kw(w, n, "and")) p->t = T_AND;
        else if (kw(w, n, "or")) p->t = T_OR;
        else if (kw(w, n, "not")) p->t = T_NOT;
        else if (kw(w, n, "in")) p->t = T_IN;
        else if (kw(w, n, "true")) p->t = T_TRUE;
        else if (kw(w, n, "false")) p->t = T_FALSE;
        else if (kw(w, n, "null")) p->t = T_NULL;
        return;
    }
    p->pos++;
    char d = s[p->pos];
    switch (c) {
    case '(': p->t = T_LP; return;
    case ')': p->t = T_RP; return;
    case '[': p->t = T_LB; return;
    case ']': p->t = T_RB; return;
    case ',': p->t = T_COMMA; return;
    case '{': p->t = T_LCB; return;
    case '}': p->t = T_RCB; return;
    case ':': p->t = T_COLON; return;
    case '+': p->t = T_PLUS; return;
    case '-': p->t = T_MINUS; return;
    case '*': p->t = T_STAR; return;
    case '/': p->t = T_SLASH; return;
    case '%': p->t = T_PCT; return;
    case '&': if (d == '&') { p->pos++; p->t = T_AND; return; } break;
    case '|': if (d == '|') { p->pos++; p->t = T_OR; return; } break;
    case '=': if (d == '=') p->pos++; p->t = T_EQ; return;
    case '!': if (d == '=') { p->pos++; p->t = T_NE; return; } p->t = T_NOT; return;
    case '<':
        if (d == '=') { p->pos++; p->t = T_LE; return; }
        if (d == '>') { p->pos++; p->t = T_NE; return; }
        p->t = T_LT; return;
    case '>': if (d == '=') { p->pos++; p->t = T_GE; return; } p->t = T_GT; return;
    }
    if (c >= 0x80) perr(p, p->tpos, "unexpected byte 0x%02x", c);
    else if (c < 0x20) perr(p, p->tpos, "unexpected control character");
    else perr(p, p->tpos, "unexpected '%c'", c);
    p->t = T_ERR;
}
static int add_node(struct parser *p, int op, int a, int b)
{
    struct iot_expr *e = p->e;
    if (e->nnodes == e->capnodes) {
        e->capnodes = e->capnodes ? e->capnodes * 2 : 8;
        e->nodes = iot_xrealloc(e->nodes, (size_t)e->capnodes * sizeof *e->nodes);
    }
    struct node *n = &e->nodes[e->nnodes];
    memset(n, 0, sizeof *n);
    n->op = op; n->a = a; n->b = b; n->field = -1; n->scratch = -1; n->alo = n->ahi = 0;
    return e->nnodes++;
}

static int add_scratch(struct parser *p)
{
    struct iot_expr *e = p->e;
    e->bufs = iot_xrealloc(e->bufs, (size_t)(e->nbufs + 1) * sizeof *e->bufs);
    memset(&e->bufs[e->nbufs], 0, sizeof e->bufs[0]);
    return e->nbufs++;
}

static const char *keep_str(struct parser *p, const char *s, size_t n)
{
    struct iot_expr *e = p->e;
    e->strs = iot_xrealloc(e->strs, (size_t)(e->nstrs + 1) * sizeof *e->strs);
    char *c = iot_xmalloc(n + 1);
    if (n)
        memcpy(c, s, n);    /* "" has s == NULL (an empty buffer): memcpy must not get NULL */
    c[n] = 0;
    e->strs[e->nstrs++] = c;
    return c;
}

static const char *tokname(enum tok t)
{
    static const char *const names[] = {
        [T_EOF] = "end of expression", [T_NUM] = "a number", [T_STR] = "a string",
        [T_IDENT] = "a name", [T_PATH] = "a field path", [T_LP] = "'('", [T_RP] = "')'",
        [T_LB] = "'['", [T_RB] = "']'", [T_COMMA] = "','", [T_OR] = "'||'", [T_AND] = "'&&'",
        [T_NOT] = "'!'", [T_EQ] = "'=='", [T_NE] = "'!='", [T_LT] = "'<'", [T_LE] = "'<='",
        [T_GT] = "'>'", [T_GE] = "'>='", [T_PLUS] = "'+'", [T_MINUS] = "'-'", [T_STAR] = "'*'",
        [T_SLASH] = "'/'", [T_PCT] = "'%'", [T_IN] = "'in'", [T_TRUE] = "true",
        [T_FALSE] = "false", [T_NULL] = "null", [T_ERR] = "an error",
        [T_SPAN] = "a timespan", [T_LCB] = "'{'", [T_RCB] = "'}'", [T_COLON] = "':'",
    };
    return names[t];
}

static void expect(struct parser *p, enum tok t)
{
    if (p->failed) return;
    if (p->t != t) {
        if (p->t == T_EOF) perr(p, p->tpos, "expected %s before the end", tokname(t));
        else perr(p, p->tpos, "expected %s, found %s", tokname(t), tokname(p->t));
        return;
    }
    next(p);
}


static int parse_or(struct parser *p);

/* nmin..nmax arguments (nmax -1: any number). */
static const struct fn { const char *name; int op, nmin, nmax; } fns[] = {
    { "exists", X_EXISTS, 1, 1 }, { "is_defined", X_EXISTS, 1, 1 }, { "isdefined", X_EXISTS, 1, 1 },
    { "lower", X_LOWER, 1, 1 }, { "upper", X_UPPER, 1, 1 },
    { "tolower", X_LOWER, 1, 1 }, { "toupper", X_UPPER, 1, 1 },
    { "startswith", X_STARTS, 2, 2 }, { "starts_with", X_STARTS, 2, 2 },
    { "endswith", X_ENDS, 2, 2 }, { "ends_with", X_ENDS, 2, 2 },
    { "contains", X_CONTAINS, 2, 2 }, { "length", X_LENGTH, 1, 1 }, { "strlen", X_LENGTH, 1, 1 },
    { "abs", X_ABS, 1, 1 }, { "floor", X_FLOOR, 1, 2 }, { "ceil", X_CEIL, 1, 1 }, { "ceiling", X_CEIL, 1, 1 },
    { "sqrt", X_SQRT, 1, 1 }, { "round", X_ROUND, 1, 2 },
    { "is_number", X_ISNUM, 1, 1 }, { "is_string", X_ISSTR, 1, 1 }, { "is_null", X_ISNULL, 1, 1 },
    { "isnull", X_ISNULL, 1, 1 }, { "is_bool", X_ISBOOL, 1, 1 },
    { "log", X_LOG, 1, 1 }, { "exp", X_EXP, 1, 1 }, { "pow", X_POW, 2, 2 },
    { "min", X_MIN, 1, 64 }, { "max", X_MAX, 1, 64 }, { "min_of", X_MIN, 1, 64 }, { "max_of", X_MAX, 1, 64 },
    { "coalesce", X_COALESCE, 1, 64 }, { "iff", X_IFF, 3, 3 }, { "iif", X_IFF, 3, 3 },
    { "case", X_CASE, 3, 127 }, { "tostring", X_TOSTRING, 1, 1 }, { "tonumber", X_TONUMBER, 1, 1 },
    { "todouble", X_TONUMBER, 1, 1 }, { "concat", X_CONCAT, 1, 64 }, { "strcat", X_CONCAT, 1, 64 },
    { "substring", X_SUBSTRING, 2, 3 }, { "now", X_NOW, 0, 0 }, { "ago", X_AGO, 1, 1 },
    { "todatetime", X_TODATETIME, 1, 1 }, { "bin", X_BIN, 2, 2 },
    { "hourofday", X_HOUROFDAY, 1, 1 }, { "dayofweek", X_DAYOFWEEK, 1, 1 },
};

static void args_err(struct parser *p, size_t at, const struct fn *fn)
{
    if (fn->nmin == fn->nmax)
        perr(p, at, "%s() takes %d argument%s", fn->name, fn->nmin, fn->nmin != 1 ? "s" : "");
    else if (fn->name[0] == 'c' && fn->op == X_CASE)
        perr(p, at, "case() takes pairs of condition, value and then the value otherwise (an odd count, at least 3)");
    else
        perr(p, at, "%s() takes %d to %d arguments", fn->name, fn->nmin, fn->nmax);
}

static int add_args(struct parser *p, int id, const int *args, int nargs)
{
    struct iot_expr *e = p->e;
    e->argv = iot_xrealloc(e->argv, (size_t)(e->nargv + nargs + 1) * sizeof *e->argv);
    struct node *n = &e->nodes[id];
    n->alo = e->nargv;
    for (int k = 0; k < nargs; k++) e->argv[e->nargv++] = args[k];
    n->ahi = e->nargv;
    n->scratch = add_scratch(p);
    return id;
}

/* datetime(2017-10-30 23:05:01), datetime(2024-01-01), datetime(2024-01-01T00:00:00+02:00):
 * read raw up to ')'; no offset means UTC (Kusto datetimes are UTC). */
static int parse_datetime(struct parser *p, size_t at)
{
    const char *s = p->s;
    size_t st = p->pos, en = st;
    while (s[en] && s[en] != ')') en++;
    if (s[en] != ')') { perr(p, at, "datetime( without ')'"); return -1; }
    while (st < en && s[st] == ' ') st++;
    size_t m = en;
    while (m > st && s[m - 1] == ' ') m--;
    char t[64];
    int64_t ns;
    const char *why = "not a datetime";
    int ok = -1;
    if (m - st > 0 && m - st < 40) {
        memcpy(t, s + st, m - st);
        t[m - st] = 0;
        if (m - st == 10) strcat(t, "T00:00:00");
        ok = iot_time_parse(t, strlen(t), &ns, &why);
        if (ok) { strcat(t, "Z"); ok = iot_time_parse(t, strlen(t), &ns, &why); }
    }
    if (ok) { perr(p, st, "bad datetime literal (%s)", why); return -1; }
    p->pos = en + 1;
    int id = add_node(p, X_CONST, -1, -1);
    p->e->nodes[id].k = (struct xv){ .t = XTIME, .i = ns };
    next(p);
    return id;
}

static int parse_call(struct parser *p, size_t at, const char *name, size_t n)
{
    if (kw(name, n, "datetime")) return parse_datetime(p, at);
    const struct fn *fn = NULL;
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
        if (kw(name, n, fns[i].name)) { fn = &fns[i]; break; }
    if (!fn) { perr(p, at, "unknown function '%.*s'", (int)n, name); return -1; }
    next(p);  /* '(' */
    int args[128], nargs = 0;
    if (fn->op == X_EXISTS) {
        if (p->t != T_IDENT && p->t != T_PATH) {
            perr(p, p->tpos, "%s() takes a field path", fn->name); return -1;
        }
        int id = add_node(p, X_EXISTS, -1, -1);
        p->e->nodes[id].field = iot_fields_add(p->f, p->text.p);
        next(p);
        expect(p, T_RP);
        return p->failed ? -1 : id;
    }
    if (p->t != T_RP) {
        for (;;) {
            size_t apos = p->tpos;
            if (++p->depth > 100) { perr(p, p->tpos, "expression nested too deeply"); return -1; }
            int a = parse_or(p);
            p->depth--;
            if (p->failed) return -1;
            if (nargs == fn->nmax) { args_err(p, apos, fn); return -1; }
            args[nargs++] = a;
            if (p->t != T_COMMA) break;
            next(p);
        }
    }
    if (p->failed) return -1;
    if (p->t != T_RP) { expect(p, T_RP); return -1; }
    if (nargs < fn->nmin || (fn->op == X_CASE && nargs % 2 == 0)) { args_err(p, p->tpos, fn); return -1; }
    next(p);
    int id = add_node(p, fn->op, nargs > 0 ? args[0] : -1, nargs > 1 ? args[1] : -1);
    return add_args(p, id, args, nargs);
}

/* [a, b, ...] and {"key": value, name: value, ...}: values for command bodies and payloads. */
static int parse_literal(struct parser *p, int obj)
{
    int args[256], nargs = 0;
    size_t at = p->tpos;
    next(p);
    if (++p->depth > 100) { perr(p, p->tpos, "expression nested too deeply"); return -1; }
    while (p->t != (obj ? T_RCB : T_RB)) {
        if (nargs >= 254) { perr(p, p->tpos, "too many members in a literal (at most 127)"); return -1; }
        if (obj) {
            if (p->t != T_STR && p->t != T_IDENT) { perr(p, p->tpos, "expected a member name, found %s", tokname(p->t)); return -1; }
            int k = add_node(p, X_CONST, -1, -1);
            p->e->nodes[k].k = (struct xv){ .t = XSTR, .s = keep_str(p, p->text.p, p->text.len), .sn = p->text.len };
            args[nargs++] = k;
            next(p);
            expect(p, T_COLON);
            if (p->failed) return -1;
        }
        int v = parse_or(p);
        if (p->failed) return -1;
        args[nargs++] = v;
        if (p->t == T_COMMA) { next(p); continue; }
        if (p->t != (obj ? T_RCB : T_RB)) { expect(p, obj ? T_RCB : T_RB); return -1; }
    }
    p->depth--;
    (void)at;
    next(p);
    int id = add_node(p, obj ? X_OBJECT : X_ARRAY, -1, -1);
    return add_args(p, id, args, nargs);
}

static int parse_primary(struct parser *p)
{
    if (p->failed) return -1;
    int id;
    switch (p->t) {
    case T_NUM:
        id = add_node(p, X_CONST, -1, -1);
        p->e->nodes[id].k = p->isint ? (struct xv){ .t = XINT, .i = p->inum, .n = (double)p->inum }
                                     : (struct xv){ .t = XNUM, .n = p->num };
        next(p);
        return id;
    case T_SPAN:
        id = add_node(p, X_CONST, -1, -1);
        p->e->nodes[id].k = (struct xv){ .t = XSPAN, .i = p->inum };
        next(p);
        return id;
    case T_LB: return parse_literal(p, 0);
    case T_LCB: return parse_literal(p, 1);
    case T_STR:
        id = add_node(p, X_CONST, -1, -1);
        p->e->nodes[id].k = (struct xv){ .t = XSTR, .s = keep_str(p, p->text.p, p->text.len), .sn = p->text.len };
        next(p);
        return id;
    case T_TRUE: case T_FALSE:
        id = add_node(p, X_CONST, -1, -1);
        p->e->nodes[id].k = (struct xv){ .t = XBOOL, .b = p->t == T_TRUE };
        next(p);
        return id;
    case T_NULL:
        id = add_node(p, X_CONST, -1, -1);
        p->e->nodes[id].k = (struct xv){ .t = XNULL };
        next(p);
        return id;
    case T_LP: {
        next(p);
        if (++p->depth > 100) { perr(p, p->tpos, "expression nested too deeply"); return -1; }
        id = parse_or(p);
        p->depth--;
        expect(p, T_RP);
        return p->failed ? -1 : id;
    }
    case T_IDENT: {
        size_t at = p->tpos;
        size_t save = p->pos;
        while (p->s[save] == ' ' || p->s[save] == '\t') save++;
        if (p->s[save] == '(') {
            char name[32];
            snprintf(name, sizeof name, "%s", p->text.p);
            size_t n = p->text.len < sizeof name ? p->text.len : sizeof name - 1;
            next(p);
            return parse_call(p, at, name, n);
        }
    }
    /* fall through */
    case T_PATH: {
        /* IoT Hub routing queries address the message body as $body.x: a record is its body */
        const char *path = p->text.p;
        if (strncmp(path, "$body.", 6) == 0 && path[6]) path += 6;
        id = add_node(p, X_FIELD, -1, -1);
        p->e->nodes[id].field = iot_fields_add(p->f, path);
        p->e->nodes[id].scratch = add_scratch(p);
        next(p);
        return id;
    }
    case T_ERR:
        return -1;
    case T_EOF:
        perr(p, p->tpos, "expected a value before the end");
        return -1;
    default:
        perr(p, p->tpos, "expected a value, found %s", tokname(p->t));
        return -1;
    }
}


static int parse_unary(struct parser *p)
{
    if (p->t == T_MINUS || p->t == T_PLUS) {
        int neg = p->t == T_MINUS;
        next(p);
        if (++p->depth > 100) { perr(p, p->tpos, "expression nested too deeply"); return -1; }
        int a = parse_unary(p);
        p->depth--;
        if (p->failed) return -1;
        if (!neg) return a;
        struct node *n = &p->e->nodes[a];
        if (n->op == X_CONST && n->k.t == XNUM) { n->k.n = -n->k.n; return a; }
        if (n->op == X_CONST && (n->k.t == XINT || n->k.t == XSPAN)) { n->k.i = -n->k.i; n->k.n = -n->k.n; return a; }
        return add_node(p, X_NEG, a, -1);
    }
    return parse_primary(p);
}

/* Static kind of a constant operand (XU when not known before run time). */
static int skind(struct parser *p, int i)
{
    const struct node *n = &p->e->nodes[i];
    if (n->op == X_CONST) return n->k.t;
    if (n->op == X_OBJECT || n->op == X_ARRAY) return XOBJ;
    if (n->op == X_CONCAT || n->op == X_TOSTRING || n->op == X_LOWER || n->op == X_UPPER) return XSTR;
    return XU;
}

/* Type errors at compile time where the types are known: arithmetic on a string, a boolean,
 * null or a literal object is always undefined, so it is refused. */
static void arith_check(struct parser *p, size_t at, int a, int b, const char *op)
{
    static const char *const kn[] = { [XSTR] = "a string", [XBOOL] = "a boolean", [XNULL] = "null", [XOBJ] = "an object or array" };
    int ka = skind(p, a), kb = b >= 0 ? skind(p, b) : XU;
    int bad = (ka == XSTR || ka == XBOOL || ka == XNULL || ka == XOBJ) ? ka
            : (kb == XSTR || kb == XBOOL || kb == XNULL || kb == XOBJ) ? kb : 0;
    if (bad && !p->e->typerr[0])
        snprintf(p->e->typerr, sizeof p->e->typerr, "column %zu: '%s' needs numbers, datetimes or timespans, not %s",
                 at + 1, op, kn[bad]);
}

static int parse_mul(struct parser *p)
{
    int a = parse_unary(p);
    while (!p->failed && (p->t == T_STAR || p->t == T_SLASH || p->t == T_PCT)) {
        int op = p->t == T_STAR ? X_MUL : p->t == T_SLASH ? X_DIV : X_MOD;
        size_t at = p->tpos;
        next(p);
        int b = parse_unary(p);
        if (p->failed) return -1;
        arith_check(p, at, a, b, op == X_MUL ? "*" : op == X_DIV ? "/" : "%");
        a = add_node(p, op, a, b);
    }
    return a;
}

static int parse_add(struct parser *p)
{
    int a = parse_mul(p);
    while (!p->failed && (p->t == T_PLUS || p->t == T_MINUS)) {
        int op = p->t == T_PLUS ? X_ADD : X_SUB;
        size_t at = p->tpos;
        next(p);
        int b = parse_mul(p);
        if (p->failed) return -1;
        arith_check(p, at, a, b, op == X_ADD ? "+" : "-");
        a = add_node(p, op, a, b);
    }
    return a;
}

/* `in [c, c, ...]`: a list of constants (numbers, optionally negative; strings; true, false, null). */
static int parse_list(struct parser *p, int a, int op)
{
    struct iot_expr *e = p->e;
    expect(p, T_LB);
    if (p->failed) return -1;
    int lo = e->nlist;
    while (p->t != T_RB) {
        struct xv v = { 0 };
        int neg = 0;
        if (p->t == T_MINUS) { neg = 1; next(p); if (p->t != T_NUM) goto bad; }
        switch (p->t) {
        case T_NUM:
            if (p->isint) { v.t = XINT; v.i = neg ? -p->inum : p->inum; v.n = (double)v.i; }
            else { v.t = XNUM; v.n = neg ? -p->num : p->num; }
            break;
        case T_STR: v.t = XSTR; v.s = keep_str(p, p->text.p, p->text.len); v.sn = p->text.len; break;
        case T_TRUE: case T_FALSE: v.t = XBOOL; v.b = p->t == T_TRUE; break;
        case T_NULL: v.t = XNULL; break;
        case T_ERR: return -1;
        default:
        bad:
            perr(p, p->tpos, "a list after 'in' holds constants only (number, string, true, false, null)");
            return -1;
        }
        e->list = iot_xrealloc(e->list, (size_t)(e->nlist + 1) * sizeof *e->list);
        e->list[e->nlist++] = v;
        next(p);
        if (p->t == T_COMMA) { next(p); if (p->t == T_RB) goto bad; continue; }
        if (p->t != T_RB) { expect(p, T_RB); return -1; }
    }
    next(p);
    int id = add_node(p, op, a, -1);
    e->nodes[id].lo = lo;
    e->nodes[id].hi = e->nlist;
    return id;
}

static int parse_cmp(struct parser *p)
{
    int a = parse_add(p);
    if (p->failed) return -1;
    int op;
    switch (p->t) {
    case T_EQ: op = X_EQ; break;
    case T_NE: op = X_NE; break;
    case T_LT: op = X_LT; break;
    case T_LE: op = X_LE; break;
    case T_GT: op = X_GT; break;
    case T_GE: op = X_GE; break;
    case T_IN: next(p); return parse_list(p, a, X_IN);
    case T_NOT: {
        size_t at = p->tpos;
        next(p);
        if (p->t != T_IN) { perr(p, at, "expected 'in' after 'not' here"); return -1; }
        next(p);
        return parse_list(p, a, X_NOTIN);
    }
    default: return a;
    }
    next(p);
    int b = parse_add(p);
    if (p->failed) return -1;
    switch (p->t) {
    case T_EQ: case T_NE: case T_LT: case T_LE: case T_GT: case T_GE: case T_IN:
        perr(p, p->tpos, "comparisons cannot be chained; use && between them");
        return -1;
    default: break;
    }
    return add_node(p, op, a, b);
}

/* `!` / `not` binds looser than comparisons (SQL style): `!a == b` is `!(a == b)`. */
static int parse_not(struct parser *p)
{
    if (p->t == T_NOT) {
        next(p);
        if (++p->depth > 100) { perr(p, p->tpos, "expression nested too deeply"); return -1; }
        int a = parse_not(p);
        p->depth--;
        return p->failed ? -1 : add_node(p, X_NOT, a, -1);
    }
    return parse_cmp(p);
}

static int parse_and(struct parser *p)
{
    int a = parse_not(p);
    while (!p->failed && p->t == T_AND) {
        next(p);
        int b = parse_not(p);
        a = add_node(p, X_AND, a, b);
    }
    return a;
}

static int parse_or(struct parser *p)
{
    int a = parse_and(p);
    while (!p->failed && p->t == T_OR) {
        next(p);
        int b = parse_and(p);
        a = add_node(p, X_OR, a, b);
    }
    return a;
}

struct iot_expr *iot_expr_compile(const char *text, struct iot_fields *f, char *err, size_t errcap)
{
    struct parser p = { .s = text, .f = f, .err = err, .errcap = errcap };
    if (err && errcap) err[0] = 0;
    p.e = iot_xcalloc(1, sizeof *p.e);
    p.e->st = iot_xcalloc(1, sizeof *p.e->st);
    p.e->st->now = iot_time_now();
    next(&p);
    if (!p.failed && p.t == T_EOF) perr(&p, p.tpos, "empty expression");
    int root = p.failed ? -1 : parse_or(&p);
    if (!p.failed && p.t != T_EOF) {
        if (p.t == T_RP) perr(&p, p.tpos, "unbalanced ')'");
        else perr(&p, p.tpos, "expected an operator or the end, found %s", tokname(p.t));
    }
    iot_buf_free(&p.text);
    if (p.failed) {
        if (err && errcap && !err[0]) snprintf(err, errcap, "column %zu: syntax error", p.tpos + 1);
        iot_expr_free(p.e);
        return NULL;
    }
    p.e->root = root;
    return p.e;
}

void iot_expr_free(struct iot_expr *e)
{
    if (!e) return;
    for (int i = 0; i < e->nstrs; i++) free(e->strs[i]);
    for (int i = 0; i < e->nbufs; i++) iot_buf_free(&e->bufs[i]);
    free(e->strs);
    free(e->bufs);
    free(e->list);
    free(e->argv);
    free(e->st);
    free(e->nodes);
    free(e);
}

/* ---------------------------------------------------------------- evaluator */

/* ---------------------------------------------------------------- evaluator */

static void ev(const struct iot_expr *e, int i, const struct iot_val *vals, struct xv *r);

static void xerr(const struct iot_expr *e, const char *msg)
{
    if (!e->st->err) e->st->err = msg;
}

/* An integer JSON number text ("-12", "0", at most 19 digits, not "-0") as an exact int64. */
static int int_text(const char *s, size_t n, int64_t *out)
{
    size_t k = 0;
    int neg = 0;
    if (n && s[0] == '-') { neg = 1; k = 1; }
    if (n - k == 0 || n - k > 19) return -1;
    uint64_t v = 0;
    for (; k < n; k++) {
        if (s[k] < '0' || s[k] > '9') return -1;
        v = v * 10 + (uint64_t)(s[k] - '0');
    }
    if (neg && v == 0) return -1;   /* -0 is the double -0.0 */
    if (v > (uint64_t)INT64_MAX + (uint64_t)neg) return -1;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

static void load_field(const struct iot_expr *e, const struct node *n, const struct iot_val *v, struct xv *r)
{
    r->raw = v->p; r->rawn = v->n;
    switch (v->type) {
    case IOT_J_NULL: r->t = XNULL; return;
    case IOT_J_TRUE: r->t = XBOOL; r->b = true; return;
    case IOT_J_FALSE: r->t = XBOOL; r->b = false; return;
    case IOT_J_NUM:
        if (int_text(v->p, v->n, &r->i) == 0) { r->t = XINT; r->n = (double)r->i; return; }
        if (iot_val_num(v, &r->n) == 0) r->t = XNUM;
        return;
    case IOT_J_STR:
        if (!v->esc) {
            r->t = XSTR; r->s = v->p + 1; r->sn = v->n - 2;
        } else {
            struct iot_buf *b = &e->bufs[n->scratch];
            iot_buf_reset(b);
            if (iot_val_str(v, b) == 0) { r->t = XSTR; r->s = b->p; r->sn = b->len; }
        }
        return;
    case IOT_J_OBJ: case IOT_J_ARR: r->t = XOBJ; r->s = v->p; r->sn = v->n; return;
    default: r->raw = NULL; return;
    }
}

static int isnum(const struct xv *v) { return v->t == XNUM || v->t == XINT; }
static double dbl(const struct xv *v) { return v->t == XINT ? (double)v->i : v->n; }

/* A datetime operand: a datetime, or a string that is a whole RFC 3339 timestamp. */
static int as_time(const struct xv *v, int64_t *ns)
{
    const char *why;
    if (v->t == XTIME) { *ns = v->i; return 0; }
    if (v->t == XSTR && v->sn < 64) return iot_time_parse(v->s, v->sn, ns, &why);
    return -1;
}

/* An integral operand (an int, or a double that is a whole number in range). */
static int as_int(const struct xv *v, int64_t *out)
{
    if (v->t == XINT) { *out = v->i; return 0; }
    if (v->t == XNUM && v->n == floor(v->n) && fabs(v->n) < 9.2e18) { *out = (int64_t)v->n; return 0; }
    return -1;
}

/* When one side is a datetime and the other a timestamp string, both become datetimes. */
static void coerce_time(struct xv *a, struct xv *b)
{
    int64_t t;
    if (a->t == XTIME && b->t == XSTR && as_time(b, &t) == 0) { b->t = XTIME; b->i = t; b->raw = NULL; }
    else if (b->t == XTIME && a->t == XSTR && as_time(a, &t) == 0) { a->t = XTIME; a->i = t; a->raw = NULL; }
}

#define NC (-2147483647 - 1)

static int cmp_num(const struct xv *a, const struct xv *b)
{
    if (a->t == XINT && b->t == XINT) return (a->i > b->i) - (a->i < b->i);
    if (a->t == XNUM && b->t == XNUM) {
        if (isnan(a->n) || isnan(b->n)) return NC;
        return (a->n > b->n) - (a->n < b->n);
    }
    /* int against double: exact in long double (64-bit significand on x86-64; elsewhere the
     * comparison is as exact as the platform's long double) */
    long double x = a->t == XINT ? (long double)a->i : (long double)a->n;
    long double y = b->t == XINT ? (long double)b->i : (long double)b->n;
    if (isnan(x) || isnan(y)) return NC;
    return (x > y) - (x < y);
}

/* 1 equal, 0 not equal, -1 undefined (either undefined, types differ, or objects). */
static int veq(const struct xv *a, const struct xv *b)
{
    if (isnum(a) && isnum(b)) { int c = cmp_num(a, b); return c == NC ? -1 : c == 0; }
    if (a->t == XU || b->t == XU || a->t != b->t) return -1;
    switch (a->t) {
    case XNULL: return 1;
    case XBOOL: return a->b == b->b;
    case XSTR: return a->sn == b->sn && memcmp(a->s, b->s, a->sn) == 0;
    case XTIME: case XSPAN: return a->i == b->i;
    default: return -1;
    }
}

/* <0, 0, >0 or NC when not comparable. */
static int vcmp(const struct xv *a, const struct xv *b)
{
    if (isnum(a) && isnum(b)) return cmp_num(a, b);
    if (a->t == XSTR && b->t == XSTR) {
        size_t m = a->sn < b->sn ? a->sn : b->sn;
        int c = memcmp(a->s, b->s, m);
        if (c) return c;
        return (a->sn > b->sn) - (a->sn < b->sn);
    }
    if ((a->t == XTIME && b->t == XTIME) || (a->t == XSPAN && b->t == XSPAN))
        return (a->i > b->i) - (a->i < b->i);
    return NC;
}

static void setb(struct xv *r, int v)
{
    if (v < 0) { r->t = XU; return; }
    r->t = XBOOL; r->b = v != 0;
}

static void seti(struct xv *r, int t, int64_t v) { r->t = t; r->i = v; r->n = (double)v; }
static void setd(struct xv *r, double v) { if (isfinite(v)) { r->t = XNUM; r->n = v; } }

/* Truth of a logical operand: 1, 0 or -1 for anything that is not a boolean. */
static int truth(const struct xv *v) { return v->t == XBOOL ? v->b : -1; }

/* Kusto timespan text: [-][d.]hh:mm:ss[.fffffff] (fraction digits as needed, up to 9). */
static void span_text(struct iot_buf *b, int64_t ns)
{
    uint64_t u = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns;
    uint64_t s = u / 1000000000u, f = u % 1000000000u;
    char t[64];
    int n = 0;
    if (ns < 0) t[n++] = '-';
    if (s >= 86400) n += snprintf(t + n, sizeof t - (size_t)n, "%llu.", (unsigned long long)(s / 86400));
    n += snprintf(t + n, sizeof t - (size_t)n, "%02u:%02u:%02u", (unsigned)(s % 86400 / 3600),
                  (unsigned)(s % 3600 / 60), (unsigned)(s % 60));
    if (f) {
        int d = 9;
        while (f % 10 == 0) { f /= 10; d--; }
        n += snprintf(t + n, sizeof t - (size_t)n, ".%0*llu", d, (unsigned long long)f);
    }
    iot_buf_add(b, t, (size_t)n);
}

static void time_text(struct iot_buf *b, int64_t ns)
{
    char t[48];
    int64_t f = ns % IOT_NS_PER_S;
    if (f < 0) f += IOT_NS_PER_S;
    int d = f == 0 ? 0 : f % IOT_NS_PER_MS == 0 ? 3 : f % 1000 == 0 ? 6 : 9;
    iot_buf_add(b, t, iot_time_fmt_prec(ns, d, t));
}

static void int_text_out(struct iot_buf *b, int64_t v)
{
    char t[24];
    size_t n = 0;
    if (v < 0) t[n++] = '-';
    n += iot_fmt_u64(t + n, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
    iot_buf_add(b, t, n);
}

/* tostring: the text of a value (undefined and null give "", as Kusto). */
static void text_of(struct iot_buf *b, const struct xv *v)
{
    switch (v->t) {
    case XBOOL: iot_buf_adds(b, v->b ? "true" : "false"); break;
    case XINT: int_text_out(b, v->i); break;
    case XNUM: if (v->raw) iot_buf_add(b, v->raw, v->rawn); else iot_buf_json_num(b, v->n); break;
    case XSTR: iot_buf_add(b, v->s, v->sn); break;
    case XOBJ: iot_buf_add(b, v->s, v->sn); break;
    case XTIME: time_text(b, v->i); break;
    case XSPAN: span_text(b, v->i); break;
    default: break;
    }
}

/* JSON text of a defined value; a field's value is copied byte for byte. */
static void json_of(struct iot_buf *b, const struct xv *v)
{
    if (v->raw && v->t != XU) { iot_buf_add(b, v->raw, v->rawn); return; }
    switch (v->t) {
    case XNULL: iot_buf_adds(b, "null"); break;
    case XSTR: iot_buf_json_str(b, v->s, v->sn); break;
    case XTIME: case XSPAN: iot_buf_addc(b, '"'); text_of(b, v); iot_buf_addc(b, '"'); break;
    default: text_of(b, v); break;
    }
}

/* Code-point offset -> byte offset in s (clamped to n). */
static size_t cp_off(const char *s, size_t n, int64_t cps)
{
    size_t k = 0;
    for (; k < n && cps > 0; cps--) {
        k++;
        while (k < n && ((unsigned char)s[k] & 0xC0) == 0x80) k++;
    }
    return k;
}

static size_t cp_count(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t k = 0; k < n; k++) c += ((unsigned char)s[k] & 0xC0) != 0x80;
    return c;
}

static void arith(const struct iot_expr *e, int op, struct xv *a, struct xv *b, struct xv *r)
{
    coerce_time(a, b);
    int64_t z;
    if (a->t == XINT && b->t == XINT) {
        int64_t x = a->i, y = b->i;
        switch (op) {
        case X_ADD: if (__builtin_add_overflow(x, y, &z)) { xerr(e, "integer overflow in '+'"); return; } break;
        case X_SUB: if (__builtin_sub_overflow(x, y, &z)) { xerr(e, "integer overflow in '-'"); return; } break;
        case X_MUL: if (__builtin_mul_overflow(x, y, &z)) { xerr(e, "integer overflow in '*'"); return; } break;
        case X_DIV:
            if (y == 0) return;
            if (x == INT64_MIN && y == -1) { xerr(e, "integer overflow in '/'"); return; }
            if (x % y) { setd(r, (double)x / (double)y); return; }
            z = x / y;
            break;
        default:   /* Kusto: the modulo is never negative */
            if (y == 0) return;
            if (y == -1) { z = 0; break; }
            z = x % y;
            if (z < 0) z = y > 0 ? z + y : z - y;
            break;
        }
        seti(r, XINT, z);
        return;
    }
    if (isnum(a) && isnum(b)) {
        double x = dbl(a), y = dbl(b);
        switch (op) {
        case X_ADD: setd(r, x + y); break;
        case X_SUB: setd(r, x - y); break;
        case X_MUL: setd(r, x * y); break;
        case X_DIV: if (y != 0) setd(r, x / y); break;
        default: if (y != 0) setd(r, fmod(x, y)); break;
        }
        return;
    }
    int ta = a->t, tb = b->t;
    if ((op == X_ADD || op == X_SUB) && (ta == XTIME || ta == XSPAN) && (tb == XTIME || tb == XSPAN)) {
        if (op == X_ADD && ta == XTIME && tb == XTIME) return;   /* two datetimes do not add */
        if (op == X_SUB && ta == XSPAN && tb == XTIME) return;
        if (op == X_ADD ? __builtin_add_overflow(a->i, b->i, &z) : __builtin_sub_overflow(a->i, b->i, &z)) {
            xerr(e, "time arithmetic overflow"); return;
        }
        seti(r, (ta == XTIME) != (tb == XTIME) ? XTIME : XSPAN, z);
        return;
    }
    if (op == X_DIV && ta == XSPAN && tb == XSPAN) { if (b->i) setd(r, (double)a->i / (double)b->i); return; }
    if (op == X_MOD && ta == XSPAN && tb == XSPAN) {
        if (!b->i || b->i == -1) return;
        z = a->i % b->i;
        if (z < 0) z = b->i > 0 ? z + b->i : z - b->i;
        seti(r, XSPAN, z);
        return;
    }
    /* number * timespan, timespan * number, timespan / number */
    const struct xv *s = ta == XSPAN ? a : b, *k = ta == XSPAN ? b : a;
    if (s->t != XSPAN || !isnum(k) || (op != X_MUL && !(op == X_DIV && ta == XSPAN))) return;
    if (op == X_MUL && k->t == XINT) {
        if (__builtin_mul_overflow(s->i, k->i, &z)) { xerr(e, "time arithmetic overflow"); return; }
        seti(r, XSPAN, z);
        return;
    }
    double v = op == X_MUL ? (double)s->i * dbl(k) : dbl(k) != 0 ? (double)s->i / dbl(k) : NAN;
    if (!(fabs(v) < 9.2e18)) return;
    seti(r, XSPAN, llround(v));
}

static double round_half_away(double x, int64_t p)
{
    if (p > 300 || p < -300) return x;
    double m = pow(10.0, (double)(p < 0 ? -p : p));
    return p >= 0 ? round(x * m) / m : round(x / m) * m;
}

static void fn_bin(const struct xv *x, const struct xv *w, struct xv *r)
{
    int64_t t;
    if (w->t == XSPAN && as_time(x, &t) == 0) { if (w->i > 0) seti(r, XTIME, iot_time_floor(t, w->i, 0)); return; }
    if (x->t == XSPAN && w->t == XSPAN) { if (w->i > 0) seti(r, XSPAN, iot_floordiv(x->i, w->i) * w->i); return; }
    if (x->t == XINT && w->t == XINT) { if (w->i > 0) seti(r, XINT, iot_floordiv(x->i, w->i) * w->i); return; }
    if (isnum(x) && isnum(w) && dbl(w) > 0) setd(r, floor(dbl(x) / dbl(w)) * dbl(w));
}

static void ev_call(const struct iot_expr *e, const struct node *n, const struct iot_val *vals, struct xv *r)
{
    const int *A = e->argv + n->alo;
    int na = n->ahi - n->alo;
    struct xv a, b, c;
    struct iot_buf *buf = n->scratch >= 0 ? &e->bufs[n->scratch] : NULL;
    int64_t t, k;
    switch (n->op) {
    case X_LOG: case X_EXP:
        ev(e, A[0], vals, &a);
        if (!isnum(&a)) return;
        if (n->op == X_LOG) { if (dbl(&a) > 0) setd(r, log(dbl(&a))); }
        else setd(r, exp(dbl(&a)));
        return;
    case X_POW:
        ev(e, A[0], vals, &a);
        ev(e, A[1], vals, &b);
        if (!isnum(&a) || !isnum(&b)) return;
        if (a.t == XINT && b.t == XINT && b.i >= 0) {   /* exact: square and multiply */
            int64_t base = a.i, acc = 1, ex = b.i;
            while (ex) {
                if ((ex & 1) && __builtin_mul_overflow(acc, base, &acc)) { xerr(e, "integer overflow in pow()"); return; }
                ex >>= 1;
                if (ex && __builtin_mul_overflow(base, base, &base)) { xerr(e, "integer overflow in pow()"); return; }
            }
            seti(r, XINT, acc);
            return;
        }
        setd(r, pow(dbl(&a), dbl(&b)));
        return;
    case X_MIN: case X_MAX: {
        /* undefined and null arguments are skipped (Kusto min_of/max_of); mixed kinds: undefined */
        int have = 0;
        for (int j = 0; j < na; j++) {
            ev(e, A[j], vals, &a);
            if (a.t == XU || a.t == XNULL) continue;
            if (!have) { *r = a; have = 1; continue; }
            int cmp = vcmp(&a, r);
            if (cmp == NC) { r->t = XU; return; }
            if (n->op == X_MIN ? cmp < 0 : cmp > 0) *r = a;
        }
        if (have && (r->t == XBOOL || r->t == XOBJ)) r->t = XU;
        return;
    }
    case X_COALESCE:
        for (int j = 0; j < na; j++) {
            ev(e, A[j], vals, r);
            if (r->t != XU && r->t != XNULL && !(r->t == XSTR && r->sn == 0)) return;
        }
        r->t = XU;
        return;
    case X_IFF:
        ev(e, A[0], vals, &c);
        ev(e, truth(&c) == 1 ? A[1] : A[2], vals, r);
        return;
    case X_CASE:
        for (int j = 0; j + 1 < na; j += 2) {
            ev(e, A[j], vals, &c);
            if (truth(&c) == 1) { ev(e, A[j + 1], vals, r); return; }
        }
        ev(e, A[na - 1], vals, r);
        return;
    case X_TOSTRING:
        ev(e, A[0], vals, &a);
        if (a.t == XSTR) { *r = a; r->raw = NULL; return; }
        iot_buf_reset(buf);
        text_of(buf, &a);
        r->t = XSTR; r->s = buf->p ? buf->p : ""; r->sn = buf->len;
        return;
    case X_TONUMBER: {
        ev(e, A[0], vals, &a);
        if (isnum(&a)) { *r = a; return; }
        if (a.t != XSTR || a.sn == 0 || a.sn > 64) return;
        /* the text must be a JSON number (RFC 8259 §6), as in a record */
        char tmp[72];
        memcpy(tmp, a.s, a.sn);
        tmp[a.sn] = 0;
        const char *q = tmp;
        if (*q == '-') q++;
        if (*q == '0') q++;
        else if (*q >= '1' && *q <= '9') while (isdigit((unsigned char)*q)) q++;
        else return;
        if (*q == '.') { q++; if (!isdigit((unsigned char)*q)) return; while (isdigit((unsigned char)*q)) q++; }
        if (*q == 'e' || *q == 'E') {
            q++;
            if (*q == '+' || *q == '-') q++;
            if (!isdigit((unsigned char)*q)) return;
            while (isdigit((unsigned char)*q)) q++;
        }
        if (*q) return;
        if (int_text(tmp, a.sn, &k) == 0) { seti(r, XINT, k); return; }
        setd(r, strtod(tmp, NULL));
        return;
    }
    case X_CONCAT:
        iot_buf_reset(buf);
        for (int j = 0; j < na; j++) {
            ev(e, A[j], vals, &a);
            text_of(buf, &a);
        }
        r->t = XSTR; r->s = buf->p ? buf->p : ""; r->sn = buf->len;
        return;
    case X_SUBSTRING: {
        ev(e, A[0], vals, &a);
        if (a.t != XSTR) return;
        ev(e, A[1], vals, &b);
        int64_t st, len = INT64_MAX;
        if (as_int(&b, &st)) return;
        if (na == 3) { ev(e, A[2], vals, &c); if (as_int(&c, &len) || len < 0) return; }
        int64_t cps = (int64_t)cp_count(a.s, a.sn);
        if (st < 0) st = st + cps < 0 ? 0 : st + cps;
        size_t from = cp_off(a.s, a.sn, st);
        size_t to = from + cp_off(a.s + from, a.sn - from, len);
        r->t = XSTR; r->s = a.s + from; r->sn = to - from;
        return;
    }
    case X_NOW: seti(r, XTIME, e->st->now); return;
    case X_AGO:
        ev(e, A[0], vals, &a);
        if (a.t != XSPAN) return;
        if (__builtin_sub_overflow(e->st->now, a.i, &t)) { xerr(e, "time arithmetic overflow"); return; }
        seti(r, XTIME, t);
        return;
    case X_TODATETIME: {
        ev(e, A[0], vals, &a);
        if (as_time(&a, &t) == 0) { seti(r, XTIME, t); return; }
        if (isnum(&a) && a.raw) {   /* epoch seconds/ms/us/ns by magnitude (time.h) */
            const char *why;
            if (iot_time_epoch(a.raw, a.rawn, IOT_TU_AUTO, &t, &why) == 0) seti(r, XTIME, t);
            return;
        }
        if (isnum(&a)) {
            char tmp[40];
            iot_buf_reset(buf);
            text_of(buf, &a);
            const char *why;
            if (buf->len < sizeof tmp && iot_time_epoch(buf->p, buf->len, IOT_TU_AUTO, &t, &why) == 0) seti(r, XTIME, t);
        }
        return;
    }
    case X_BIN:
        ev(e, A[0], vals, &a);
        ev(e, A[1], vals, &b);
        fn_bin(&a, &b, r);
        return;
    case X_HOUROFDAY: case X_DAYOFWEEK:
        ev(e, A[0], vals, &a);
        if (as_time(&a, &t)) return;
        if (n->op == X_HOUROFDAY) {
            int64_t h = iot_floordiv(t, INT64_C(3600000000000)) % 24;
            seti(r, XINT, h < 0 ? h + 24 : h);
        }
        else seti(r, XINT, ((iot_floordiv(t, INT64_C(86400000000000)) + 4) % 7 + 7) % 7);  /* 1970-01-01 was a Thursday */
        return;
    case X_ARRAY: case X_OBJECT: {
        /* members are built in this node's buffer: a member's text is copied in before the next
         * member is evaluated, so nested literals can use their own buffers */
        iot_buf_reset(buf);
        iot_buf_addc(buf, n->op == X_ARRAY ? '[' : '{');
        int first = 1;
        for (int j = 0; j < na; j += n->op == X_OBJECT ? 2 : 1) {
            ev(e, A[j + (n->op == X_OBJECT)], vals, &a);
            if (a.t == XU) {                 /* an undefined member is left out; in an array: null */
                if (n->op == X_OBJECT) continue;
                a.t = XNULL; a.raw = NULL;
            }
            if (!first) iot_buf_addc(buf, ',');
            first = 0;
            if (n->op == X_OBJECT) {
                const struct xv *key = &e->nodes[A[j]].k;
                iot_buf_json_str(buf, key->s, key->sn);
                iot_buf_addc(buf, ':');
            }
            json_of(buf, &a);
        }
        iot_buf_addc(buf, n->op == X_ARRAY ? ']' : '}');
        r->t = XOBJ; r->s = buf->p; r->sn = buf->len;
        return;
    }
    default: return;
    }
}

static void ev(const struct iot_expr *e, int i, const struct iot_val *vals, struct xv *r)
{
    const struct node *n = &e->nodes[i];
    struct xv a, b;
    r->t = XU;
    r->raw = NULL;
    switch (n->op) {
    case X_CONST: *r = n->k; return;
    case X_FIELD: load_field(e, n, &vals[n->field], r); return;
    case X_EXISTS: setb(r, vals[n->field].type != IOT_J_ABSENT); return;
    case X_AND:
        ev(e, n->a, vals, &a);
        if (truth(&a) == 0) { setb(r, 0); return; }
        ev(e, n->b, vals, &b);
        if (truth(&b) == 0) { setb(r, 0); return; }
        setb(r, truth(&a) == 1 && truth(&b) == 1 ? 1 : -1);
        return;
    case X_OR:
        ev(e, n->a, vals, &a);
        if (truth(&a) == 1) { setb(r, 1); return; }
        ev(e, n->b, vals, &b);
        if (truth(&b) == 1) { setb(r, 1); return; }
        setb(r, truth(&a) == 0 && truth(&b) == 0 ? 0 : -1);
        return;
    case X_NOT:
        ev(e, n->a, vals, &a);
        setb(r, truth(&a) < 0 ? -1 : !truth(&a));
        return;
    case X_IN: case X_NOTIN: {
        ev(e, n->a, vals, &a);
        if (a.t == XU || a.t == XOBJ) return;
        int found = 0;
        for (int k = n->lo; k < n->hi && !found; k++) found = veq(&a, &e->list[k]) == 1;
        setb(r, n->op == X_IN ? found : !found);
        return;
    }
    case X_EQ: case X_NE:
        ev(e, n->a, vals, &a);
        if (a.t == XU) return;
        ev(e, n->b, vals, &b);
        coerce_time(&a, &b);
        {
            int eq = veq(&a, &b);
            setb(r, eq < 0 ? -1 : n->op == X_EQ ? eq : !eq);
        }
        return;
    case X_LT: case X_LE: case X_GT: case X_GE: {
        ev(e, n->a, vals, &a);
        if (a.t == XU) return;
        ev(e, n->b, vals, &b);
        coerce_time(&a, &b);
        int c = vcmp(&a, &b);
        if (c == NC) return;
        setb(r, n->op == X_LT ? c < 0 : n->op == X_LE ? c <= 0 : n->op == X_GT ? c > 0 : c >= 0);
        return;
    }
    case X_NEG:
        ev(e, n->a, vals, &a);
        if (a.t == XNUM) { r->t = XNUM; r->n = -a.n; }
        else if (a.t == XINT || a.t == XSPAN) {
            if (a.i == INT64_MIN) { xerr(e, "integer overflow in unary '-'"); return; }
            seti(r, a.t, -a.i);
        }
        return;
    case X_ADD: case X_SUB: case X_MUL: case X_DIV: case X_MOD:
        ev(e, n->a, vals, &a);
        if (a.t == XU) return;
        ev(e, n->b, vals, &b);
        if (b.t == XU) return;
        arith(e, n->op, &a, &b, r);
        return;
    case X_ABS: case X_CEIL: case X_SQRT:
        ev(e, n->a, vals, &a);
        if (a.t == XINT && n->op != X_SQRT) {
            if (n->op == X_ABS && a.i == INT64_MIN) { xerr(e, "integer overflow in abs()"); return; }
            seti(r, XINT, n->op == X_ABS && a.i < 0 ? -a.i : a.i);
            return;
        }
        if (a.t == XSPAN && n->op == X_ABS) { if (a.i == INT64_MIN) return; seti(r, XSPAN, a.i < 0 ? -a.i : a.i); return; }
        if (!isnum(&a)) return;
        if (n->op == X_ABS) setd(r, fabs(a.n));
        else if (n->op == X_CEIL) setd(r, ceil(a.n));
        else if (dbl(&a) >= 0) setd(r, sqrt(dbl(&a)));
        return;
    case X_FLOOR:
        ev(e, n->a, vals, &a);
        if (n->ahi - n->alo == 2) { ev(e, n->b, vals, &b); fn_bin(&a, &b, r); return; }   /* floor(x, size) = bin */
        if (a.t == XINT) { *r = a; r->raw = NULL; return; }
        if (a.t == XNUM) setd(r, floor(a.n));
        return;
    case X_ROUND: {
        ev(e, n->a, vals, &a);
        int64_t p = 0;
        if (n->ahi - n->alo == 2) { ev(e, n->b, vals, &b); if (as_int(&b, &p)) return; }
        if (a.t == XINT && p >= 0) { *r = a; r->raw = NULL; return; }
        if (!isnum(&a)) return;
        double v = round_half_away(dbl(&a), p);
        if (a.t == XINT && fabs(v) < 9.2e18) { seti(r, XINT, (int64_t)v); return; }
        setd(r, v);
        return;
    }
    case X_ISNUM: case X_ISSTR: case X_ISNULL: case X_ISBOOL:
        ev(e, n->a, vals, &a);
        if (a.t == XU) { setb(r, 0); return; }
        setb(r, n->op == X_ISNUM ? isnum(&a) : a.t == (n->op == X_ISSTR ? XSTR : n->op == X_ISNULL ? XNULL : XBOOL));
        return;
    case X_LOWER: case X_UPPER: {
        ev(e, n->a, vals, &a);
        if (a.t != XSTR) return;
        struct iot_buf *buf = &e->bufs[n->scratch];
        iot_buf_reset(buf);
        iot_buf_add(buf, a.s, a.sn);
        for (size_t k = 0; k < buf->len; k++) {
            unsigned char c = (unsigned char)buf->p[k];
            if (n->op == X_LOWER && c >= 'A' && c <= 'Z') buf->p[k] = (char)(c + 32);
            if (n->op == X_UPPER && c >= 'a' && c <= 'z') buf->p[k] = (char)(c - 32);
        }
        r->t = XSTR; r->s = buf->p ? buf->p : ""; r->sn = buf->len;
        return;
    }
    case X_LENGTH:
        ev(e, n->a, vals, &a);
        if (a.t != XSTR) return;
        seti(r, XINT, (int64_t)cp_count(a.s, a.sn));
        return;
    case X_STARTS: case X_ENDS: case X_CONTAINS:
        ev(e, n->a, vals, &a);
        if (a.t != XSTR) return;
        ev(e, n->b, vals, &b);
        if (b.t != XSTR) return;
        if (b.sn > a.sn) { setb(r, 0); return; }
        if (n->op == X_STARTS) setb(r, memcmp(a.s, b.s, b.sn) == 0);
        else if (n->op == X_ENDS) setb(r, memcmp(a.s + a.sn - b.sn, b.s, b.sn) == 0);
        else setb(r, b.sn == 0 || memmem(a.s, a.sn, b.s, b.sn) != NULL);
        return;
    default:
        ev_call(e, n, vals, r);
        return;
    }
}

static void run(const struct iot_expr *e, const struct iot_val *vals, struct xv *r)
{
    e->st->err = NULL;
    ev(e, e->root, vals, r);
    if (e->st->err) r->t = XU;
}

bool iot_expr_match(const struct iot_expr *e, const struct iot_val *vals)
{
    struct xv r;
    run(e, vals, &r);
    return r.t == XBOOL && r.b;
}

int iot_expr_truth(const struct iot_expr *e, const struct iot_val *vals)
{
    struct xv r;
    run(e, vals, &r);
    return r.t == XBOOL ? r.b : -1;
}

int iot_expr_number(const struct iot_expr *e, const struct iot_val *vals, double *out)
{
    struct xv r;
    run(e, vals, &r);
    if (!isnum(&r)) return -1;
    *out = dbl(&r);
    return 0;
}

int iot_expr_string(const struct iot_expr *e, const struct iot_val *vals, const char **s, size_t *n)
{
    struct xv r;
    run(e, vals, &r);
    if (r.t != XSTR) return -1;
    *s = r.s;
    *n = r.sn;
    return 0;
}

int iot_expr_json(const struct iot_expr *e, const struct iot_val *vals, struct iot_buf *out, const char **err)
{
    struct xv r;
    run(e, vals, &r);
    if (e->st->err) { if (err) *err = e->st->err; return -1; }
    if (r.t == XU) return 0;
    json_of(out, &r);
    return 1;
}

void iot_expr_set_now(struct iot_expr *e, int64_t ns) { e->st->now = ns; }

const char *iot_expr_error(const struct iot_expr *e) { return e->st->err; }

const char *iot_expr_type_error(const struct iot_expr *e) { return e->typerr[0] ? e->typerr : NULL; }

/* d: +1/-1 from a comparison, 2 for a plain use (leaves a known side alone). */
static void note_field(int field, int d, int *idx, int *dir, int cap, int *n)
{
    for (int i = 0; i < *n && i < cap; i++)
        if (idx[i] == field) {
            if (dir && d != 2 && dir[i] != d) dir[i] = 0;
            return;
        }
    if (*n < cap) {
        idx[*n] = field;
        if (dir) dir[*n] = d == 2 ? 0 : d;
    }
    (*n)++;
}

int iot_expr_fields(const struct iot_expr *e, int *idx, int *dir, int cap)
{
    int n = 0;
    /* compared fields first, with the side on which larger values lie */
    for (int i = 0; i < e->nnodes; i++) {
        const struct node *c = &e->nodes[i];
        if (c->op < X_LT || c->op > X_GE) continue;
        int up = c->op == X_GT || c->op == X_GE;
        if (c->a >= 0 && e->nodes[c->a].op == X_FIELD)
            note_field(e->nodes[c->a].field, up ? 1 : -1, idx, dir, cap, &n);
        if (c->b >= 0 && e->nodes[c->b].op == X_FIELD)
            note_field(e->nodes[c->b].field, up ? -1 : 1, idx, dir, cap, &n);
    }
    for (int i = 0; i < e->nnodes; i++)
        if (e->nodes[i].op == X_FIELD)
            note_field(e->nodes[i].field, 2, idx, dir, cap, &n);
    return n;
}
