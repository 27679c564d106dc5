/*
 * Exclusive XML canonicalization written while libxml2 parses, without building a tree.
 *
 * A register of tens of thousands of records makes a libxml2 tree about six times the size of
 * its text, and building it costs more than the canonicalization and the digest together. To
 * sign such a document only its canonical octets are needed (the signature is built apart and
 * spliced into the original bytes), so this file follows libxml2's SAX2 events and writes the
 * same octets as the tree walk in exc_c14n.c - and so as libxml2's xmlC14NExecute - for the two
 * node-sets a new enveloped signature uses: the whole document, or the one element whose Id
 * attribute has a given value. The rendered-namespace stack, the sort orders and the escaping
 * are the walk's (c14n_shared.h); only the in-scope namespace lookup (xmlSearchNs there) is a stack of the
 * declarations met on the way down.
 *
 * The parse is libxml2's own (xmlCtxtReadMemory, with the same refusal of DTDs) with SAX2
 * callbacks instead of the tree builder. Anything the tree path would treat differently or
 * refuse - a malformed document, a DOCTYPE, a namespace error, a limit exceeded, a relative
 * namespace URI, an element already signed, an Id missing or used twice, an encoding other than
 * UTF-8 - stops the parse with a reason, and the caller then runs the tree path, which signs or
 * says what is wrong exactly as before. The octets already given to the sink are then void.
 *
 * Verification uses a third node-set: the whole document less its one ds:Signature (URI="" with
 * the enveloped-signature transform). The signature's own bytes are then found in the input (from
 * the parser's offset, checked against the start tag's name) and handed back inside a wrapper
 * element declaring the namespaces in scope, for the caller to parse alone. What only the tree
 * path can judge - several signatures, a repeated Id, a comment inside the document element (the
 * comment-injection check), an empty CDATA section there (the same check), xml:* attributes above the signature, a namespace URI that would need
 * escaping in the wrapper - stops it too.
 */
#include "c14n_shared.h"
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/uri.h>
#include <stdlib.h>
#include <string.h>

/* What an element's start changed, undone at its end. */
typedef struct {
    int scope_count;
    int rendered_count, previous_start, previous_end;
    int visible;
    int has_xml_attribute;
} mz_frame;

typedef struct {
    mz_out out;
    const mz_stream_c14n_options *options;
    mz_stream_c14n_result *result;
    mz_pairs scope; /* declarations in scope, innermost last */
    mz_rendered_ns rendered;
    mz_frame *frames;
    int frame_capacity;
    int depth;
    int inclusive_count;
    int target_depth; /* the target element's depth while inside it, else 0 */
    int target_found;
    int after_root;
    int stopped;
    const xmlChar *absolute_href; /* the last namespace URI found absolute (URIs are interned) */
    /* enveloped_signature: the one ds:Signature, left out of the octets and handed back. */
    const char *buffer;
    size_t size;
    int signature_count;
    int signature_depth;      /* the signature's depth while inside it, else 0 */
    size_t signature_start, signature_end;
    char *wrapper;            /* "<w xmlns...>": the namespaces in scope at the signature */
    size_t wrapper_length;
    int xml_attribute_open;   /* open elements carrying xml:* attributes */
    char **ids;               /* every Id/ID/id value, decoded, to find duplicates */
    int id_count, id_capacity;
} mz_stream;

static void stop(xmlParserCtxtPtr ctxt, mz_stream *stream, int reason) {
    if (stream->stopped) return;
    stream->stopped = 1;
    stream->result->reason = reason;
    xmlStopParser(ctxt);
}

/* Two prefixes from SAX2 are the same (NULL, the default namespace, only matches NULL). */
static int same_prefix(const xmlChar *a, const xmlChar *b) {
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && xmlStrEqual(a, b));
}

/* xmlSearchNs: the innermost declaration of `prefix` (NULL: the default namespace). */
static int scope_find(const mz_stream *stream, const xmlChar *prefix, mz_pair *found) {
    if (prefix != NULL && xmlStrEqual(prefix, BAD_CAST "xml")) {
        found->prefix = BAD_CAST "xml";
        found->href = XML_XML_NAMESPACE;
        return 1;
    }
    for (int i = stream->scope.count - 1; i >= 0; i--) {
        const mz_pair *entry = &stream->scope.entries[i];
        if (entry->href == NULL) continue;
        if (same_prefix(prefix, entry->prefix)) {
            *found = *entry;
            return 1;
        }
    }
    return 0;
}

/* An attribute from SAX2: local name, prefix, URI, value, end of value. */
typedef const xmlChar *const *mz_sax_attribute;

/* xmlC14NAttrsCompare. Two attributes share a namespace node exactly when they have the same
 * prefix (a prefix resolves to one declaration per element). */
static int attribute_order(mz_sax_attribute a, mz_sax_attribute b) {
    const xmlChar *a_prefix = a[1], *b_prefix = b[1];
    if (same_prefix(a_prefix, b_prefix)) {
        return xmlStrcmp(a[0], b[0]);
    }
    if (a_prefix == NULL) return -1;
    if (b_prefix == NULL) return 1;
    int order = xmlStrcmp(a[2], b[2]);
    return order != 0 ? order : xmlStrcmp(a[0], b[0]);
}

static void write_qname(mz_out *out, const xmlChar *prefix, const xmlChar *localname) {
    if (!is_empty(prefix)) {
        out_string(out, (const char *)prefix);
        out_bytes(out, (const unsigned char *)":", 1);
    }
    out_string(out, (const char *)localname);
}

/* An attribute value as SAX2 hands it over without XML_PARSE_NOENT (which mezhved never sets):
 * references decoded, except that every '&' of the value comes as "&#38;" (libxml2 re-parses it
 * when it builds a tree). No other reference can be left in it: DTDs are refused, so only the
 * predefined entities exist, and a reference to any other makes the document malformed. */
static void write_attribute_value(mz_out *out, const xmlChar *value, const xmlChar *end) {
    const xmlChar *run = value;
    for (const xmlChar *cur = value; cur < end; cur++) {
        if (*cur != '&') continue;
        out_escaped_length(out, run, (size_t)(cur - run), ESCAPE_ATTRIBUTE);
        out_string(out, "&amp;");
        if (end - cur >= 5 && memcmp(cur, "&#38;", 5) == 0) cur += 4;
        run = cur + 1;
    }
    out_escaped_length(out, run, (size_t)(end - run), ESCAPE_ATTRIBUTE);
}

static int is_id_name(const xmlChar *name) {
    return xmlStrEqual(name, BAD_CAST "Id") || xmlStrEqual(name, BAD_CAST "ID") || xmlStrEqual(name, BAD_CAST "id");
}

/* Whether an attribute value from SAX2 (see write_attribute_value) reads `text` once decoded. */
static int value_equals(const xmlChar *value, const xmlChar *end, const char *text) {
    const unsigned char *expected = (const unsigned char *)text;
    for (const xmlChar *cur = value; cur < end; cur++, expected++) {
        if (*expected == 0 || *cur != *expected) return 0;
        if (*cur == '&' && end - cur >= 5 && memcmp(cur, "&#38;", 5) == 0) cur += 4;
    }
    return *expected == 0;
}

/* What the tree walk's pre-check asks of each namespace declaration: an absolute URI without a
 * quote, else libxml2 decides (and refuses a relative one). */
static int usable_namespace_uri(mz_stream *stream, const xmlChar *href) {
    if (is_empty(href) || href == stream->absolute_href) return 1;
    if (xmlStrchr(href, '"') != NULL) return 0;
    xmlURIPtr uri = xmlParseURI((const char *)href);
    if (uri == NULL) return 0;
    int relative = is_empty(BAD_CAST uri->scheme);
    xmlFreeURI(uri);
    if (relative) return 0;
    stream->absolute_href = href;
    return 1;
}

static int visible(const mz_stream *stream) {
    if (stream->signature_depth > 0) return 0;
    return stream->options->target_id == NULL ? stream->depth > 0 : stream->target_depth > 0;
}

/* Where the parser is in the input, in bytes from its start (UTF-8 input: no conversion). */
static size_t input_offset(xmlParserCtxtPtr ctxt) {
    return (size_t)ctxt->input->consumed + (size_t)(ctxt->input->cur - ctxt->input->base);
}

static int is_signature(const xmlChar *localname, const xmlChar *uri) {
    return uri != NULL && xmlStrEqual(localname, BAD_CAST "Signature") &&
           xmlStrEqual(uri, BAD_CAST "http://www.w3.org/2000/09/xmldsig#");
}

/* Appends `length` bytes to a malloc'd string. */
static int append_text(char **text, size_t *used, const char *bytes, size_t length) {
    char *grown = realloc(*text, *used + length + 1);
    if (grown == NULL) return -1;
    memcpy(grown + *used, bytes, length);
    *used += length;
    grown[*used] = 0;
    *text = grown;
    return 0;
}

/* The ds:Signature starts (the parser stands at the end of its start tag): note where its bytes
 * begin and the wrapper element that gives them the namespaces in scope, innermost first. */
static int begin_signature(xmlParserCtxtPtr ctxt, mz_stream *stream, const xmlChar *localname, const xmlChar *prefix) {
    if (stream->xml_attribute_open > 0) return MZ_STREAM_SIGNATURE_CONTEXT;
    size_t end = input_offset(ctxt);
    if (end > stream->size) return MZ_STREAM_MALFORMED;
    size_t start = end;
    while (start > 0 && stream->buffer[start - 1] != '<') start--;
    if (start == 0) return MZ_STREAM_MALFORMED;
    start--;
    /* The bytes found must be this start tag's: "<" prefix ":" local name, then a blank, ">" or "/". */
    size_t at = start + 1;
    size_t prefix_length = prefix != NULL ? strlen((const char *)prefix) : 0;
    size_t local_length = strlen((const char *)localname);
    if (prefix != NULL) {
        if (at + prefix_length + 1 > end || memcmp(stream->buffer + at, prefix, prefix_length) != 0 || stream->buffer[at + prefix_length] != ':')
            return MZ_STREAM_MALFORMED;
        at += prefix_length + 1;
    }
    if (at + local_length > end || memcmp(stream->buffer + at, localname, local_length) != 0) return MZ_STREAM_MALFORMED;
    char after = stream->buffer[at + local_length];
    if (!(after == ' ' || after == '\t' || after == '\n' || after == '\r' || after == '>' || after == '/')) return MZ_STREAM_MALFORMED;
    stream->signature_start = start;

    if (append_text(&stream->wrapper, &stream->wrapper_length, "<w", 2) != 0) return MZ_STREAM_OUT_OF_MEMORY;
    for (int i = stream->scope.count - 1; i >= 0; i--) {
        const mz_pair *entry = &stream->scope.entries[i];
        int shadowed = 0;
        for (int j = stream->scope.count - 1; j > i; j--) {
            if (same_prefix(stream->scope.entries[j].prefix, entry->prefix)) {
                shadowed = 1;
                break;
            }
        }
        if (shadowed || is_empty(entry->href)) continue;
        for (const xmlChar *c = entry->href; *c != 0; c++) {
            if (*c == '&' || *c == '<' || *c == '"' || *c < 0x20) return MZ_STREAM_SIGNATURE_CONTEXT;
        }
        int failed = append_text(&stream->wrapper, &stream->wrapper_length, " xmlns", 6);
        if (entry->prefix != NULL) {
            failed |= append_text(&stream->wrapper, &stream->wrapper_length, ":", 1);
            failed |= append_text(&stream->wrapper, &stream->wrapper_length, (const char *)entry->prefix, strlen((const char *)entry->prefix));
        }
        failed |= append_text(&stream->wrapper, &stream->wrapper_length, "=\"", 2);
        failed |= append_text(&stream->wrapper, &stream->wrapper_length, (const char *)entry->href, strlen((const char *)entry->href));
        failed |= append_text(&stream->wrapper, &stream->wrapper_length, "\"", 1);
        if (failed) return MZ_STREAM_OUT_OF_MEMORY;
    }
    if (append_text(&stream->wrapper, &stream->wrapper_length, ">", 1) != 0) return MZ_STREAM_OUT_OF_MEMORY;
    return 0;
}

/* The ds:Signature ends (the parser stands after its last ">"). */
static int end_signature(xmlParserCtxtPtr ctxt, mz_stream *stream) {
    size_t end = input_offset(ctxt);
    if (end > stream->size || end <= stream->signature_start || stream->buffer[end - 1] != '>') return MZ_STREAM_MALFORMED;
    stream->signature_end = end;
    return 0;
}

/* Keeps an Id value, decoded (see write_attribute_value), to look for duplicates at the end. */
static int keep_id(mz_stream *stream, const xmlChar *value, const xmlChar *end) {
    if (stream->id_count == stream->id_capacity) {
        int capacity = stream->id_capacity == 0 ? 16 : stream->id_capacity * 2;
        char **grown = realloc(stream->ids, (size_t)capacity * sizeof(char *));
        if (grown == NULL) return -1;
        stream->ids = grown;
        stream->id_capacity = capacity;
    }
    char *copy = malloc((size_t)(end - value) + 1);
    if (copy == NULL) return -1;
    size_t used = 0;
    for (const xmlChar *cur = value; cur < end; cur++) {
        copy[used++] = (char)*cur;
        if (*cur == '&' && end - cur >= 5 && memcmp(cur, "&#38;", 5) == 0) cur += 4;
    }
    copy[used] = 0;
    stream->ids[stream->id_count++] = copy;
    return 0;
}

static int compare_strings(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int has_duplicate_id(mz_stream *stream) {
    if (stream->id_count < 2) return 0;
    qsort(stream->ids, (size_t)stream->id_count, sizeof(char *), compare_strings);
    for (int i = 1; i < stream->id_count; i++) {
        if (strcmp(stream->ids[i - 1], stream->ids[i]) == 0) return 1;
    }
    return 0;
}

/* exc_c14n.c's walk_element, up to the end of the start tag. */
static void render_start(xmlParserCtxtPtr ctxt, mz_stream *stream, const xmlChar *localname, const xmlChar *prefix,
                         const xmlChar *uri, int nb_attributes, const xmlChar **attributes) {
    mz_out *out = &stream->out;
    out_bytes(out, (const unsigned char *)"<", 1);
    write_qname(out, prefix, localname);

    mz_pair small_list[16];
    mz_pair *list = small_list;
    int list_count = 0;
    int needed = nb_attributes + stream->inclusive_count + 1;
    if (needed > 16) {
        list = malloc((size_t)needed * sizeof(mz_pair));
        if (list == NULL) {
            stop(ctxt, stream, MZ_STREAM_OUT_OF_MEMORY);
            return;
        }
    }
    int failed = 0;
    int has_empty_ns = 0, visibly_utilizes_empty_ns = 0, empty_ns_in_inclusive_list = 0;
    for (int i = 0; i < stream->inclusive_count; i++) {
        const xmlChar *wanted = BAD_CAST stream->options->inclusive_prefixes[i];
        if (xmlStrEqual(wanted, BAD_CAST "#default") || xmlStrEqual(wanted, BAD_CAST "")) {
            wanted = NULL;
            empty_ns_in_inclusive_list = 1;
        }
        mz_pair ns;
        if (scope_find(stream, wanted, &ns) && !is_xml_pair(ns.prefix, ns.href)) {
            int rendered = rendered_find(&stream->rendered, ns.prefix, ns.href, 0);
            if (pairs_push(&stream->rendered.stack, ns.prefix, ns.href) != 0) failed = 1;
            if (!rendered) insert_sorted_pair(list, &list_count, ns);
            if (is_empty(ns.prefix)) has_empty_ns = 1;
        }
    }
    mz_pair element_ns = {prefix, uri};
    int has_element_ns = uri != NULL;
    if (!has_element_ns) {
        has_element_ns = scope_find(stream, NULL, &element_ns);
        visibly_utilizes_empty_ns = 1;
    }
    if (has_element_ns && !is_xml_pair(element_ns.prefix, element_ns.href)) {
        if (!rendered_find(&stream->rendered, element_ns.prefix, element_ns.href, 1)) insert_sorted_pair(list, &list_count, element_ns);
        if (pairs_push(&stream->rendered.stack, element_ns.prefix, element_ns.href) != 0) failed = 1;
        if (is_empty(element_ns.prefix)) has_empty_ns = 1;
    }
    for (int i = 0; i < nb_attributes; i++) {
        mz_sax_attribute a = attributes + 5 * i;
        if (a[1] != NULL && a[2] != NULL && !is_xml_pair(a[1], a[2])) {
            int rendered = rendered_find(&stream->rendered, a[1], a[2], 1);
            if (pairs_push(&stream->rendered.stack, a[1], a[2]) != 0) failed = 1;
            if (!rendered) insert_sorted_pair(list, &list_count, (mz_pair){a[1], a[2]});
        }
    }
    if (!has_empty_ns && (visibly_utilizes_empty_ns || empty_ns_in_inclusive_list)) {
        if (!rendered_find(&stream->rendered, NULL, NULL, empty_ns_in_inclusive_list ? 0 : 1)) out_string(out, " xmlns=\"\"");
    }
    out_namespaces(out, list, list_count);
    if (list != small_list) free(list);
    if (failed) {
        stop(ctxt, stream, MZ_STREAM_OUT_OF_MEMORY);
        return;
    }

    stream->rendered.previous_start = stream->rendered.previous_end;
    stream->rendered.previous_end = stream->rendered.stack.count;

    if (nb_attributes > 0) {
        mz_sax_attribute small_sorted[16];
        mz_sax_attribute *sorted = nb_attributes <= 16 ? small_sorted : malloc((size_t)nb_attributes * sizeof(mz_sax_attribute));
        if (sorted == NULL) {
            stop(ctxt, stream, MZ_STREAM_OUT_OF_MEMORY);
            return;
        }
        for (int n = 0; n < nb_attributes; n++) {
            mz_sax_attribute a = attributes + 5 * n;
            int i = n;
            while (i > 0 && attribute_order(sorted[i - 1], a) > 0) {
                sorted[i] = sorted[i - 1];
                i--;
            }
            sorted[i] = a;
        }
        for (int i = 0; i < nb_attributes; i++) {
            mz_sax_attribute a = sorted[i];
            out_bytes(out, (const unsigned char *)" ", 1);
            write_qname(out, a[1], a[0]);
            out_string(out, "=\"");
            write_attribute_value(out, a[3], a[4]);
            out_bytes(out, (const unsigned char *)"\"", 1);
        }
        if (sorted != small_sorted) free(sorted);
    }
    out_bytes(out, (const unsigned char *)">", 1);
}

static void on_start_element(void *context, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
                             int nb_namespaces, const xmlChar **namespaces, int nb_attributes, int nb_defaulted,
                             const xmlChar **attributes) {
    xmlParserCtxtPtr ctxt = (xmlParserCtxtPtr)context;
    mz_stream *stream = (mz_stream *)ctxt->_private;
    if (stream->stopped) return;
    const mz_stream_c14n_options *options = stream->options;
    stream->depth++;
    if (stream->depth > options->max_depth || nb_namespaces + nb_attributes > options->max_attributes) {
        stop(ctxt, stream, MZ_STREAM_LIMIT_EXCEEDED);
        return;
    }
    if (nb_defaulted > 0 || !ctxt->nsWellFormed) {
        stop(ctxt, stream, MZ_STREAM_NAMESPACE_ERROR);
        return;
    }
    if (stream->depth == 1) {
        /* The encoding is settled once the XML declaration is read. */
        if (ctxt->input == NULL || ctxt->input->buf == NULL || ctxt->input->buf->encoder != NULL) {
            stop(ctxt, stream, MZ_STREAM_NOT_UTF8);
            return;
        }
        stream->result->root_prefix = prefix != NULL ? strdup((const char *)prefix) : NULL;
        stream->result->root_name = strdup((const char *)localname);
        if (stream->result->root_name == NULL || (prefix != NULL && stream->result->root_prefix == NULL)) {
            stop(ctxt, stream, MZ_STREAM_OUT_OF_MEMORY);
            return;
        }
    }
    int signature = is_signature(localname, uri);
    if (options->refuse_signed && signature) {
        stop(ctxt, stream, MZ_STREAM_ALREADY_SIGNED);
        return;
    }
    int is_target = 0;
    int has_xml_attribute = 0;
    for (int i = 0; i < nb_attributes; i++) {
        const xmlChar *const *a = attributes + 5 * i;
        if (a[1] != NULL && xmlStrEqual(a[1], BAD_CAST "xml")) has_xml_attribute = 1;
        if (!is_id_name(a[0])) continue;
        if (options->enveloped_signature && keep_id(stream, a[3], a[4]) != 0) {
            stop(ctxt, stream, MZ_STREAM_OUT_OF_MEMORY);
            return;
        }
        if (options->target_id != NULL && value_equals(a[3], a[4], options->target_id)) is_target = 1;
        if (options->reserved_id != NULL && value_equals(a[3], a[4], options->reserved_id)) stream->result->reserved_id_seen = 1;
    }
    if (is_target && stream->target_found) {
        stop(ctxt, stream, MZ_STREAM_TARGET_AMBIGUOUS);
        return;
    }
    if (stream->depth > stream->frame_capacity) {
        int capacity = stream->frame_capacity * 2;
        mz_frame *grown = realloc(stream->frames, (size_t)capacity * sizeof(mz_frame));
        if (grown == NULL) {
            stop(ctxt, stream, MZ_STREAM_OUT_OF_MEMORY);
            return;
        }
        stream->frames = grown;
        stream->frame_capacity = capacity;
    }
    mz_frame *frame = &stream->frames[stream->depth - 1];
    frame->scope_count = stream->scope.count;
    frame->rendered_count = stream->rendered.stack.count;
    frame->previous_start = stream->rendered.previous_start;
    frame->previous_end = stream->rendered.previous_end;
    for (int i = 0; i < nb_namespaces; i++) {
        const xmlChar *ns_prefix = namespaces[2 * i], *href = namespaces[2 * i + 1];
        if (!usable_namespace_uri(stream, href)) {
            stop(ctxt, stream, MZ_STREAM_NAMESPACE_URI);
            return;
        }
        if (pairs_push(&stream->scope, ns_prefix, href) != 0) {
            stop(ctxt, stream, MZ_STREAM_OUT_OF_MEMORY);
            return;
        }
    }
    frame->has_xml_attribute = has_xml_attribute;
    if (options->enveloped_signature && signature) {
        stream->signature_count++;
        if (stream->signature_count > 1 || stream->depth == 1) {
            stop(ctxt, stream, MZ_STREAM_SIGNATURE_COUNT);
            return;
        }
        int reason = begin_signature(ctxt, stream, localname, prefix);
        if (reason != 0) {
            stop(ctxt, stream, reason);
            return;
        }
        stream->signature_depth = stream->depth;
    }
    stream->xml_attribute_open += has_xml_attribute;
    if (is_target) {
        stream->target_found = 1;
        stream->target_depth = stream->depth;
        stream->result->target_is_root = stream->depth == 1;
    }
    frame->visible = visible(stream);
    if (frame->visible) render_start(ctxt, stream, localname, prefix, uri, nb_attributes, attributes);
}

static void on_end_element(void *context, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri) {
    (void)uri;
    xmlParserCtxtPtr ctxt = (xmlParserCtxtPtr)context;
    mz_stream *stream = (mz_stream *)ctxt->_private;
    if (stream->stopped || stream->depth == 0) return;
    mz_frame *frame = &stream->frames[stream->depth - 1];
    if (frame->visible) {
        out_string(&stream->out, "</");
        write_qname(&stream->out, prefix, localname);
        out_bytes(&stream->out, (const unsigned char *)">", 1);
        stream->rendered.stack.count = frame->rendered_count;
        stream->rendered.previous_start = frame->previous_start;
        stream->rendered.previous_end = frame->previous_end;
    }
    stream->scope.count = frame->scope_count;
    stream->xml_attribute_open -= frame->has_xml_attribute;
    if (stream->signature_depth == stream->depth) {
        int reason = end_signature(ctxt, stream);
        if (reason != 0) {
            stop(ctxt, stream, reason);
            return;
        }
        stream->signature_depth = 0;
    }
    if (stream->target_depth == stream->depth) stream->target_depth = 0;
    stream->depth--;
    if (stream->depth == 0) stream->after_root = 1;
}

static void on_characters(void *context, const xmlChar *text, int length) {
    xmlParserCtxtPtr ctxt = (xmlParserCtxtPtr)context;
    mz_stream *stream = (mz_stream *)ctxt->_private;
    if (stream->stopped || !visible(stream) || length <= 0) return;
    out_escaped_length(&stream->out, text, (size_t)length, ESCAPE_TEXT);
}

/* An empty CDATA section adds no text, but splits the text around it for readers that keep CDATA
 * sections apart: like a comment, the tree path judges it (empty-CDATA injection). */
static void on_cdata(void *context, const xmlChar *text, int length) {
    xmlParserCtxtPtr ctxt = (xmlParserCtxtPtr)context;
    mz_stream *stream = (mz_stream *)ctxt->_private;
    if (stream->stopped) return;
    if (length <= 0 && stream->options->enveloped_signature && stream->depth > 0 && stream->signature_depth == 0) {
        stop(ctxt, stream, MZ_STREAM_EMPTY_CDATA);
        return;
    }
    on_characters(context, text, length);
}

/* Comments and PIs around the document element get the newlines of exc_c14n.c's walk_nodes. */
static int document_level(const mz_stream *stream) { return stream->depth == 0 && stream->options->target_id == NULL; }

static void on_comment(void *context, const xmlChar *text) {
    xmlParserCtxtPtr ctxt = (xmlParserCtxtPtr)context;
    mz_stream *stream = (mz_stream *)ctxt->_private;
    if (stream->stopped) return;
    if (stream->options->enveloped_signature && stream->depth > 0 && stream->signature_depth == 0) {
        /* The tree path judges comments next to signed text (comment injection). */
        stop(ctxt, stream, MZ_STREAM_COMMENT);
        return;
    }
    if (!stream->options->with_comments) return;
    int outside = document_level(stream);
    if (!outside && !visible(stream)) return;
    mz_out *out = &stream->out;
    if (outside && stream->after_root) out_bytes(out, (const unsigned char *)"\n", 1);
    out_string(out, "<!--");
    out_escaped(out, text, ESCAPE_COMMENT_OR_PI);
    out_string(out, "-->");
    if (outside && !stream->after_root) out_bytes(out, (const unsigned char *)"\n", 1);
}

static void on_processing_instruction(void *context, const xmlChar *target, const xmlChar *data) {
    xmlParserCtxtPtr ctxt = (xmlParserCtxtPtr)context;
    mz_stream *stream = (mz_stream *)ctxt->_private;
    if (stream->stopped) return;
    int outside = document_level(stream);
    if (!outside && !visible(stream)) return;
    mz_out *out = &stream->out;
    if (outside && stream->after_root) out_bytes(out, (const unsigned char *)"\n", 1);
    out_string(out, "<?");
    out_string(out, (const char *)target);
    if (data != NULL && *data != 0) {
        out_bytes(out, (const unsigned char *)" ", 1);
        out_escaped(out, data, ESCAPE_COMMENT_OR_PI);
    }
    out_string(out, "?>");
    if (outside && !stream->after_root) out_bytes(out, (const unsigned char *)"\n", 1);
}

static void on_doctype(void *context, const xmlChar *name, const xmlChar *external_id, const xmlChar *system_id) {
    (void)name; (void)external_id; (void)system_id;
    xmlParserCtxtPtr ctxt = (xmlParserCtxtPtr)context;
    stop(ctxt, (mz_stream *)ctxt->_private, MZ_STREAM_DOCTYPE);
}

static void on_entity_declaration(void *context, const xmlChar *name, int type, const xmlChar *public_id,
                                  const xmlChar *system_id, xmlChar *content) {
    (void)name; (void)type; (void)public_id; (void)system_id; (void)content;
    xmlParserCtxtPtr ctxt = (xmlParserCtxtPtr)context;
    stop(ctxt, (mz_stream *)ctxt->_private, MZ_STREAM_DOCTYPE);
}

int mz_stream_exclusive_c14n(const char *buffer, int size, const mz_stream_c14n_options *options, mz_c14n_sink sink,
                             void *context, mz_stream_c14n_result *result) {
    memset(result, 0, sizeof(*result));
    if (buffer == NULL || size <= 0 || options == NULL || sink == NULL) {
        result->reason = MZ_STREAM_MALFORMED;
        return MZ_STREAM_TREE_NEEDED;
    }
    mz_stream *stream = malloc(sizeof(mz_stream));
    xmlParserCtxtPtr ctxt = stream == NULL ? NULL : xmlNewParserCtxt();
    if (ctxt == NULL || ctxt->sax == NULL) {
        if (ctxt != NULL) xmlFreeParserCtxt(ctxt);
        free(stream);
        result->reason = MZ_STREAM_OUT_OF_MEMORY;
        return MZ_STREAM_TREE_NEEDED;
    }
    memset(stream, 0, sizeof(*stream));
    stream->out.sink = sink;
    stream->out.context = context;
    stream->options = options;
    stream->result = result;
    stream->buffer = buffer;
    stream->size = (size_t)size;
    pairs_init(&stream->scope);
    rendered_init(&stream->rendered);
    stream->frame_capacity = 64;
    stream->frames = malloc((size_t)stream->frame_capacity * sizeof(mz_frame));
    if (options->inclusive_prefixes != NULL) {
        while (options->inclusive_prefixes[stream->inclusive_count] != NULL) stream->inclusive_count++;
    }

    /* SAX2 callbacks only: no tree, no document object. */
    memset(ctxt->sax, 0, sizeof(xmlSAXHandler));
    ctxt->sax->initialized = XML_SAX2_MAGIC;
    ctxt->sax->startElementNs = on_start_element;
    ctxt->sax->endElementNs = on_end_element;
    ctxt->sax->characters = on_characters;
    ctxt->sax->ignorableWhitespace = on_characters;
    ctxt->sax->cdataBlock = on_cdata;
    ctxt->sax->comment = on_comment;
    ctxt->sax->processingInstruction = on_processing_instruction;
    ctxt->sax->internalSubset = on_doctype;
    ctxt->sax->externalSubset = on_doctype;
    ctxt->sax->entityDecl = on_entity_declaration;
    ctxt->_private = stream;

    int status;
    if (stream->frames == NULL) {
        result->reason = MZ_STREAM_OUT_OF_MEMORY;
        status = MZ_STREAM_TREE_NEEDED;
    } else {
        /* The tree path's options less those that only shape the tree (COMPACT, BIG_LINES). */
        int parse_options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
        xmlDocPtr doc = xmlCtxtReadMemory(ctxt, buffer, size, NULL, NULL, parse_options);
        if (doc != NULL) xmlFreeDoc(doc); /* not built by these callbacks; never expected */
        if (!stream->stopped) {
            if (!ctxt->wellFormed) result->reason = MZ_STREAM_MALFORMED;
            else if (!ctxt->nsWellFormed) result->reason = MZ_STREAM_NAMESPACE_ERROR;
            else if (result->root_name == NULL) result->reason = MZ_STREAM_MALFORMED;
            else if (options->target_id != NULL && !stream->target_found) result->reason = MZ_STREAM_TARGET_MISSING;
            else if (options->enveloped_signature) {
                if (stream->signature_count != 1 || stream->signature_end == 0) result->reason = MZ_STREAM_SIGNATURE_COUNT;
                else if (has_duplicate_id(stream)) result->reason = MZ_STREAM_DUPLICATE_ID;
                else {
                    size_t used = 0;
                    char *document = NULL;
                    if (append_text(&document, &used, stream->wrapper, stream->wrapper_length) != 0 ||
                        append_text(&document, &used, buffer + stream->signature_start, stream->signature_end - stream->signature_start) != 0 ||
                        append_text(&document, &used, "</w>", 4) != 0) {
                        free(document);
                        result->reason = MZ_STREAM_OUT_OF_MEMORY;
                    } else {
                        result->signature_document = document;
                        result->signature_document_size = used;
                    }
                }
            }
        }
        if (result->reason == 0) {
            out_flush(&stream->out);
            status = MZ_STREAM_DONE;
        } else {
            status = MZ_STREAM_TREE_NEEDED;
        }
    }
    xmlFreeParserCtxt(ctxt);
    pairs_free(&stream->scope);
    pairs_free(&stream->rendered.stack);
    free(stream->frames);
    free(stream->wrapper);
    for (int i = 0; i < stream->id_count; i++) free(stream->ids[i]);
    free(stream->ids);
    free(stream);
    if (status != MZ_STREAM_DONE) mz_stream_c14n_result_clear(result);
    return status;
}

void mz_stream_c14n_result_clear(mz_stream_c14n_result *result) {
    free(result->root_prefix);
    free(result->root_name);
    free(result->signature_document);
    result->root_prefix = NULL;
    result->root_name = NULL;
    result->signature_document = NULL;
    result->signature_document_size = 0;
}
