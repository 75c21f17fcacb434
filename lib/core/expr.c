/* expr: recursive-descent compiler to a node array, tree-walking evaluator with
 * three-valued logic (an explicit "undefined", as IoT Hub and Cosmos DB do). */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "expr.h"

enum xop {
    X_CONST, X_FIELD, X_IN, X_NOTIN, X_NOT, X_NEG, X_AND, X_OR,
    X_EQ, X_NE, X_LT, X_LE, X_GT, X_GE, X_ADD, X_SUB, X_MUL, X_DIV, X_MOD,
    X_EXISTS, X_LOWER, X_UPPER, X_STARTS, X_ENDS, X_CONTAINS, X_LENGTH,
    X_ABS, X_FLOOR, X_CEIL, X_SQRT, X_ROUND, X_ISNUM, X_ISSTR, X_ISNULL, X_ISBOOL,
};

/* Value kinds at evaluation time. XOBJ: an object or array from a field (only exists()
 * and the is*() tests look at it; everything else treats it as a type mismatch). */
enum { XU = 0, XNULL, XBOOL, XNUM, XSTR, XOBJ };

struct xv {
    int t;
    bool b;
    double n;
    const char *s;
    size_t sn;
};

struct node {
    int op;
    int a, b;            /* children (node indices), -1 if none */
    int field;           /* X_FIELD, X_EXISTS */
    int lo, hi;          /* X_IN/X_NOTIN: constants [lo, hi) in e->list */
    int scratch;         /* index into e->bufs for string results, -1 if none */
    struct xv k;         /* X_CONST */
};

struct iot_expr {
    struct node *nodes;
    int nnodes, capnodes, root;
    struct xv *list;     /* constants of `in` lists */
    int nlist;
    char **strs;         /* owned constant strings */
    int nstrs;
    struct iot_buf *bufs;/* scratch, reused across evaluations (not thread-safe) */
    int nbufs;
};

/* ---------------------------------------------------------------- compiler */

enum tok { T_EOF, T_NUM, T_STR, T_IDENT, T_PATH, T_LP, T_RP, T_LB, T_RB, T_COMMA,
           T_OR, T_AND, T_NOT, T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE,
           T_PLUS, T_MINUS, T_STAR, T_SLASH, T_PCT, T_IN, T_TRUE, T_FALSE, T_NULL, T_ERR };

struct parser {
    const char *s;
    size_t pos;          /* after the current token */
    size_t tpos;         /* start of the current token */
    enum tok t;
    double num;
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
            while (s[p->pos] && s[p->pos] != '`' && s[p->pos] != '.') p->pos++;
            if (s[p->pos] != '`' || p->pos == st) {
                perr(p, st - 1, "bad quoted field name (no '.' or empty name allowed)");
                p->t = T_ERR; return;
            }
            iot_buf_add(&p->text, s + st, p->pos - st);
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

static void next(struct parser *p)
{
    const char *s = p->s;
    while (s[p->pos] == ' ' || s[p->pos] == '\t' || s[p->pos] == '\n' || s[p->pos] == '\r') p->pos++;
    p->tpos = p->pos;
    unsigned char c = (unsigned char)s[p->pos];
    if (!c) { p->t = T_EOF; return; }
    if (isdigit(c) || (c == '.' && isdigit((unsigned char)s[p->pos + 1]))) {
        char *end;
        if (c == '0' && (s[p->pos + 1] == 'x' || s[p->pos + 1] == 'X'))
            p->num = (double)strtoull(s + p->pos, &end, 16);
        else
            p->num = strtod(s + p->pos, &end);
        if (is_id((unsigned char)*end) || *end == '.') {
            perr(p, p->tpos, "bad number"); p->t = T_ERR; return;
        }
        p->pos = (size_t)(end - s);
        p->t = T_NUM;
        return;
    }
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
    n->op = op; n->a = a; n->b = b; n->field = -1; n->scratch = -1;
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
    if (n) memcpy(c, s, n);      /* "" has no text buffer yet: s may be NULL */
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

static const struct fn { const char *name; int op, nargs; } fns[] = {
    { "exists", X_EXISTS, 1 }, { "is_defined", X_EXISTS, 1 },
    { "lower", X_LOWER, 1 }, { "upper", X_UPPER, 1 },
    { "startswith", X_STARTS, 2 }, { "starts_with", X_STARTS, 2 },
    { "endswith", X_ENDS, 2 }, { "ends_with", X_ENDS, 2 },
    { "contains", X_CONTAINS, 2 }, { "length", X_LENGTH, 1 },
    { "abs", X_ABS, 1 }, { "floor", X_FLOOR, 1 }, { "ceil", X_CEIL, 1 }, { "ceiling", X_CEIL, 1 },
    { "sqrt", X_SQRT, 1 }, { "round", X_ROUND, 1 },
    { "is_number", X_ISNUM, 1 }, { "is_string", X_ISSTR, 1 }, { "is_null", X_ISNULL, 1 },
    { "is_bool", X_ISBOOL, 1 },
};

static int parse_call(struct parser *p, size_t at, const char *name, size_t n)
{
    const struct fn *fn = NULL;
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
        if (kw(name, n, fns[i].name)) { fn = &fns[i]; break; }
    if (!fn) { perr(p, at, "unknown function '%.*s'", (int)n, name); return -1; }
    next(p);  /* '(' */
    int args[2] = { -1, -1 }, nargs = 0;
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
            int a = parse_or(p);
            if (p->failed) return -1;
            if (nargs == fn->nargs) {
                perr(p, apos, "%s() takes %d argument%s", fn->name, fn->nargs, fn->nargs > 1 ? "s" : "");
                return -1;
            }
            args[nargs++] = a;
            if (p->t != T_COMMA) break;
            next(p);
        }
    }
    if (p->failed) return -1;
    if (p->t != T_RP) { expect(p, T_RP); return -1; }
    if (nargs != fn->nargs) {
        perr(p, p->tpos, "%s() takes %d argument%s", fn->name, fn->nargs, fn->nargs > 1 ? "s" : "");
        return -1;
    }
    next(p);
    int id = add_node(p, fn->op, args[0], args[1]);
    if (fn->op == X_LOWER || fn->op == X_UPPER) p->e->nodes[id].scratch = add_scratch(p);
    return id;
}

static int parse_primary(struct parser *p)
{
    if (p->failed) return -1;
    int id;
    switch (p->t) {
    case T_NUM:
        id = add_node(p, X_CONST, -1, -1);
        p->e->nodes[id].k = (struct xv){ .t = XNUM, .n = p->num };
        next(p);
        return id;
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
    case T_PATH:
        id = add_node(p, X_FIELD, -1, -1);
        p->e->nodes[id].field = iot_fields_add(p->f, p->text.p);
        p->e->nodes[id].scratch = add_scratch(p);
        next(p);
        return id;
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
        return add_node(p, X_NEG, a, -1);
    }
    return parse_primary(p);
}

static int parse_mul(struct parser *p)
{
    int a = parse_unary(p);
    while (!p->failed && (p->t == T_STAR || p->t == T_SLASH || p->t == T_PCT)) {
        int op = p->t == T_STAR ? X_MUL : p->t == T_SLASH ? X_DIV : X_MOD;
        next(p);
        int b = parse_unary(p);
        a = add_node(p, op, a, b);
    }
    return a;
}

static int parse_add(struct parser *p)
{
    int a = parse_mul(p);
    while (!p->failed && (p->t == T_PLUS || p->t == T_MINUS)) {
        int op = p->t == T_PLUS ? X_ADD : X_SUB;
        next(p);
        int b = parse_mul(p);
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
        case T_NUM: v.t = XNUM; v.n = neg ? -p->num : p->num; break;
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
    free(e->nodes);
    free(e);
}

/* ---------------------------------------------------------------- evaluator */

static void ev(const struct iot_expr *e, int i, const struct iot_val *vals, struct xv *r);

static void load_field(const struct iot_expr *e, const struct node *n, const struct iot_val *v, struct xv *r)
{
    switch (v->type) {
    case IOT_J_NULL: r->t = XNULL; return;
    case IOT_J_TRUE: r->t = XBOOL; r->b = true; return;
    case IOT_J_FALSE: r->t = XBOOL; r->b = false; return;
    case IOT_J_NUM:
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
    case IOT_J_OBJ: case IOT_J_ARR: r->t = XOBJ; return;
    default: return;
    }
}

/* 1 equal, 0 not equal, -1 undefined (either undefined, types differ, or objects). */
static int veq(const struct xv *a, const struct xv *b)
{
    if (a->t == XU || b->t == XU || a->t != b->t) return -1;
    switch (a->t) {
    case XNULL: return 1;
    case XBOOL: return a->b == b->b;
    case XNUM: return a->n == b->n;
    case XSTR: return a->sn == b->sn && memcmp(a->s, b->s, a->sn) == 0;
    default: return -1;
    }
}

/* <0, 0, >0 or INT32_MIN when not comparable. */
static int vcmp(const struct xv *a, const struct xv *b)
{
    if (a->t == XNUM && b->t == XNUM) {
        if (isnan(a->n) || isnan(b->n)) return -2147483647 - 1;
        return (a->n > b->n) - (a->n < b->n);
    }
    if (a->t == XSTR && b->t == XSTR) {
        size_t m = a->sn < b->sn ? a->sn : b->sn;
        int c = memcmp(a->s, b->s, m);
        if (c) return c;
        return (a->sn > b->sn) - (a->sn < b->sn);
    }
    return -2147483647 - 1;
}

static void setb(struct xv *r, int v)
{
    if (v < 0) { r->t = XU; return; }
    r->t = XBOOL; r->b = v != 0;
}

/* Truth of a logical operand: 1, 0 or -1 for anything that is not a boolean. */
static int truth(const struct xv *v) { return v->t == XBOOL ? v->b : -1; }

static void ev(const struct iot_expr *e, int i, const struct iot_val *vals, struct xv *r)
{
    const struct node *n = &e->nodes[i];
    struct xv a, b;
    r->t = XU;
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
        {
            int eq = veq(&a, &b);
            setb(r, eq < 0 ? -1 : n->op == X_EQ ? eq : !eq);
        }
        return;
    case X_LT: case X_LE: case X_GT: case X_GE: {
        ev(e, n->a, vals, &a);
        if (a.t == XU) return;
        ev(e, n->b, vals, &b);
        int c = vcmp(&a, &b);
        if (c == -2147483647 - 1) return;
        setb(r, n->op == X_LT ? c < 0 : n->op == X_LE ? c <= 0 : n->op == X_GT ? c > 0 : c >= 0);
        return;
    }
    case X_NEG:
        ev(e, n->a, vals, &a);
        if (a.t == XNUM) { r->t = XNUM; r->n = -a.n; }
        return;
    case X_ADD: case X_SUB: case X_MUL: case X_DIV: case X_MOD:
        ev(e, n->a, vals, &a);
        if (a.t != XNUM) return;
        ev(e, n->b, vals, &b);
        if (b.t != XNUM) return;
        switch (n->op) {
        case X_ADD: r->n = a.n + b.n; break;
        case X_SUB: r->n = a.n - b.n; break;
        case X_MUL: r->n = a.n * b.n; break;
        case X_DIV: if (b.n == 0) return; r->n = a.n / b.n; break;
        default: if (b.n == 0) return; r->n = fmod(a.n, b.n); break;
        }
        if (!isfinite(r->n)) return;
        r->t = XNUM;
        return;
    case X_ABS: case X_FLOOR: case X_CEIL: case X_SQRT: case X_ROUND:
        ev(e, n->a, vals, &a);
        if (a.t != XNUM) return;
        switch (n->op) {
        case X_ABS: r->n = fabs(a.n); break;
        case X_FLOOR: r->n = floor(a.n); break;
        case X_CEIL: r->n = ceil(a.n); break;
        case X_ROUND: r->n = round(a.n); break;
        default: if (a.n < 0) return; r->n = sqrt(a.n); break;
        }
        r->t = XNUM;
        return;
    case X_ISNUM: case X_ISSTR: case X_ISNULL: case X_ISBOOL:
        ev(e, n->a, vals, &a);
        if (a.t == XU) { setb(r, 0); return; }
        setb(r, a.t == (n->op == X_ISNUM ? XNUM : n->op == X_ISSTR ? XSTR : n->op == X_ISNULL ? XNULL : XBOOL));
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
        r->t = XSTR; r->s = buf->p; r->sn = buf->len;
        return;
    }
    case X_LENGTH: {
        ev(e, n->a, vals, &a);
        if (a.t != XSTR) return;
        size_t cps = 0;
        for (size_t k = 0; k < a.sn; k++) cps += ((unsigned char)a.s[k] & 0xC0) != 0x80;
        r->t = XNUM; r->n = (double)cps;
        return;
    }
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
    }
}

bool iot_expr_match(const struct iot_expr *e, const struct iot_val *vals)
{
    struct xv r;
    ev(e, e->root, vals, &r);
    return r.t == XBOOL && r.b;
}

int iot_expr_truth(const struct iot_expr *e, const struct iot_val *vals)
{
    struct xv r;
    ev(e, e->root, vals, &r);
    return r.t == XBOOL ? r.b : -1;
}

int iot_expr_number(const struct iot_expr *e, const struct iot_val *vals, double *out)
{
    struct xv r;
    ev(e, e->root, vals, &r);
    if (r.t != XNUM) return -1;
    *out = r.n;
    return 0;
}

int iot_expr_string(const struct iot_expr *e, const struct iot_val *vals, const char **s, size_t *n)
{
    struct xv r;
    ev(e, e->root, vals, &r);
    if (r.t != XSTR) return -1;
    *s = r.s;
    *n = r.sn;
    return 0;
}
