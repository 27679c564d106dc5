/*
 * What mezhved's two exclusive-canonicalization writers share: the buffered output to a caller's
 * sink and libxml2's escaping (xmlC11NNormalizeString). Private to CMezhvedShims; exc_c14n.c
 * walks a parsed tree, stream_c14n.c follows a parse without building one.
 */
#ifndef MEZHVED_C14N_OUTPUT_H
#define MEZHVED_C14N_OUTPUT_H
#include "CMezhvedShims.h"
#include <libxml/xmlstring.h>
#include <string.h>

#define MZ_OUT_CAPACITY 16384

typedef struct {
    unsigned char buffer[MZ_OUT_CAPACITY];
    size_t used;
    mz_c14n_sink sink;
    void *context;
} mz_out;

static inline void out_flush(mz_out *out) {
    if (out->used > 0) {
        out->sink(out->context, out->buffer, out->used);
        out->used = 0;
    }
}

static inline void out_bytes(mz_out *out, const unsigned char *bytes, size_t length) {
    if (length >= MZ_OUT_CAPACITY) {
        out_flush(out);
        out->sink(out->context, bytes, length);
        return;
    }
    if (out->used + length > MZ_OUT_CAPACITY) out_flush(out);
    memcpy(out->buffer + out->used, bytes, length);
    out->used += length;
}

static inline void out_string(mz_out *out, const char *text) { out_bytes(out, (const unsigned char *)text, strlen(text)); }

enum { ESCAPE_TEXT, ESCAPE_ATTRIBUTE, ESCAPE_COMMENT_OR_PI };

/* The bytes each mode replaces (and NUL, the end of a C string), for a fast scan over the rest. */
static const unsigned char escape_stops[3][256] = {
    [ESCAPE_TEXT] = {[0] = 1, ['<'] = 1, ['>'] = 1, ['&'] = 1, ['\r'] = 1},
    [ESCAPE_ATTRIBUTE] = {[0] = 1, ['<'] = 1, ['&'] = 1, ['"'] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1},
    [ESCAPE_COMMENT_OR_PI] = {[0] = 1, ['\r'] = 1},
};

static inline const char *escape_replacement(unsigned char c) {
    switch (c) {
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '&': return "&amp;";
    case '"': return "&quot;";
    case '\t': return "&#x9;";
    case '\n': return "&#xA;";
    default: return "&#xD;";
    }
}

/* Writes the NUL-terminated `text`, escaped as `mode` says, run by run. */
static inline void out_escaped(mz_out *out, const xmlChar *text, int mode) {
    if (text == NULL) return;
    const unsigned char *stops = escape_stops[mode];
    const xmlChar *run = text;
    for (;;) {
        const xmlChar *cur = run;
        while (!stops[*cur]) cur++;
        out_bytes(out, run, (size_t)(cur - run));
        if (*cur == 0) return;
        out_string(out, escape_replacement(*cur));
        run = cur + 1;
    }
}

/* The same for `length` bytes that need not end with NUL (a parser's character data). A NUL
 * cannot occur in XML text; should one come, it is written as it is. */
static inline void out_escaped_length(mz_out *out, const xmlChar *text, size_t length, int mode) {
    const unsigned char *stops = escape_stops[mode];
    const xmlChar *run = text, *end = text + length;
    while (run < end) {
        const xmlChar *cur = run;
        while (cur < end && !stops[*cur]) cur++;
        if (cur < end && *cur == 0) {
            cur++;
            out_bytes(out, run, (size_t)(cur - run));
            run = cur;
            continue;
        }
        out_bytes(out, run, (size_t)(cur - run));
        if (cur == end) return;
        out_string(out, escape_replacement(*cur));
        run = cur + 1;
    }
}

/* NULL and "" are the same string here, as in libxml2's xmlC14NStrEqual. */
static inline int same_string(const xmlChar *a, const xmlChar *b) {
    if (a == NULL) a = BAD_CAST "";
    if (b == NULL) b = BAD_CAST "";
    return xmlStrEqual(a, b);
}

static inline int is_empty(const xmlChar *s) { return s == NULL || *s == 0; }

#endif
