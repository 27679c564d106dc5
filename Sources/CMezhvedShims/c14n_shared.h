/*
 * What mezhved's two exclusive-canonicalization writers share: the buffered output to a caller's
 * sink, libxml2's escaping (xmlC11NNormalizeString) and its rendered-namespace stack
 * (xmlC14NVisibleNsStack). Private to CMezhvedShims; exc_c14n.c walks a parsed tree,
 * stream_c14n.c follows a parse without building one.
 */
#ifndef MEZHVED_C14N_SHARED_H
#define MEZHVED_C14N_SHARED_H
#include "CMezhvedShims.h"
#include <libxml/xmlstring.h>
#include <stdlib.h>
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

/* ---- namespaces as canonicalization sees them: a prefix (NULL for the default) and a URI ---- */

typedef struct {
    const xmlChar *prefix;
    const xmlChar *href;
} mz_pair;

/* A stack of them, in place until it outgrows its first 64 entries. */
typedef struct {
    mz_pair *entries;
    int count, capacity;
    mz_pair inline_entries[64];
} mz_pairs;

static inline void pairs_init(mz_pairs *pairs) {
    pairs->entries = pairs->inline_entries;
    pairs->count = 0;
    pairs->capacity = (int)(sizeof(pairs->inline_entries) / sizeof(mz_pair));
}

static inline int pairs_push(mz_pairs *pairs, const xmlChar *prefix, const xmlChar *href) {
    if (pairs->count == pairs->capacity) {
        int capacity = pairs->capacity * 2;
        mz_pair *grown;
        if (pairs->entries == pairs->inline_entries) {
            grown = malloc((size_t)capacity * sizeof(mz_pair));
            if (grown != NULL) memcpy(grown, pairs->inline_entries, sizeof(pairs->inline_entries));
        } else {
            grown = realloc(pairs->entries, (size_t)capacity * sizeof(mz_pair));
        }
        if (grown == NULL) return -1;
        pairs->entries = grown;
        pairs->capacity = capacity;
    }
    pairs->entries[pairs->count].prefix = prefix;
    pairs->entries[pairs->count].href = href;
    pairs->count++;
    return 0;
}

static inline void pairs_free(mz_pairs *pairs) {
    if (pairs->entries != pairs->inline_entries) free(pairs->entries);
}

/* libxml2's xmlC14NVisibleNsStack: the namespaces rendered on the way down, and where the
 * parent element's entries start and end. */
typedef struct {
    mz_pairs stack;
    int previous_start, previous_end;
} mz_rendered_ns;

static inline void rendered_init(mz_rendered_ns *rendered) {
    pairs_init(&rendered->stack);
    rendered->previous_start = rendered->previous_end = 0;
}

/* xmlExcC14NVisibleNsStackFind (exclusive_search) and xmlC14NVisibleNsStackFind (from
 * previous_start unless the namespace is the empty default): whether `prefix` is rendered
 * with `href` already. */
static inline int rendered_find(const mz_rendered_ns *rendered, const xmlChar *prefix, const xmlChar *href,
                                int exclusive_search) {
    int empty_default = is_empty(prefix) && is_empty(href);
    int from = (exclusive_search || empty_default) ? 0 : rendered->previous_start;
    for (int i = rendered->stack.count - 1; i >= from; i--) {
        if (same_string(prefix, rendered->stack.entries[i].prefix)) return same_string(href, rendered->stack.entries[i].href);
    }
    return empty_default;
}

static inline int is_xml_pair(const xmlChar *prefix, const xmlChar *href) {
    return prefix != NULL && xmlStrEqual(prefix, BAD_CAST "xml") && xmlStrEqual(href, XML_XML_NAMESPACE);
}

/* Inserts `pair` into `list` (of `*count`) sorted by prefix, NULL first, as libxml2 sorts. */
static inline void insert_sorted_pair(mz_pair *list, int *count, mz_pair pair) {
    int i = *count;
    while (i > 0 && xmlStrcmp(list[i - 1].prefix, pair.prefix) > 0) {
        list[i] = list[i - 1];
        i--;
    }
    list[i] = pair;
    (*count)++;
}

/* Writes a list of namespace declarations. */
static inline void out_namespaces(mz_out *out, const mz_pair *list, int count) {
    for (int i = 0; i < count; i++) {
        if (list[i].prefix != NULL) {
            out_string(out, " xmlns:");
            out_string(out, (const char *)list[i].prefix);
            out_string(out, "=\"");
        } else {
            out_string(out, " xmlns=\"");
        }
        if (list[i].href != NULL) out_string(out, (const char *)list[i].href);
        out_bytes(out, (const unsigned char *)"\"", 1);
    }
}

#endif
