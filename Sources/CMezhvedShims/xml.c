#define _GNU_SOURCE
#include "CMezhvedShims.h"
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>
#include <string.h>
#include <stdio.h>

#include <limits.h>
#include <stdlib.h>
#include <pthread.h>
#include <malloc.h>

/* The one folder external resources may come from: mezhved's own XML schemas (for xs:include).
 * Everything else - external DTDs, entities, network resources - is refused. */
static char mz_allowed_folder[PATH_MAX];
static pthread_mutex_t mz_allowed_lock = PTHREAD_MUTEX_INITIALIZER;

static xmlParserInputPtr mz_refuse_entity(const char *url, const char *id, xmlParserCtxtPtr ctxt) {
    (void)id;
    if (url == NULL) return NULL;
    const char *path = url;
    if (strncmp(path, "file://", 7) == 0) path += 7;
    if (path[0] != '/') return NULL;
    char resolved[PATH_MAX];
    if (realpath(path, resolved) == NULL) return NULL;
    pthread_mutex_lock(&mz_allowed_lock);
    size_t n = strlen(mz_allowed_folder);
    int allowed = n > 0 && strncmp(resolved, mz_allowed_folder, n) == 0 && resolved[n] == '/';
    pthread_mutex_unlock(&mz_allowed_lock);
    if (!allowed) return NULL;
    return xmlNewInputFromFile(ctxt, resolved);
}

void mz_xml_global_init(void) {
    xmlInitParser();
    xmlSetExternalEntityLoader(mz_refuse_entity);
}

int mz_xml_allow_folder(const char *folder) {
    char resolved[PATH_MAX];
    if (realpath(folder, resolved) == NULL) return 0;
    pthread_mutex_lock(&mz_allowed_lock);
    snprintf(mz_allowed_folder, sizeof(mz_allowed_folder), "%s", resolved);
    pthread_mutex_unlock(&mz_allowed_lock);
    return 1;
}

/* Marks the context as having met a DOCTYPE and stops the parser before the internal subset's
 * declarations (entities, attribute defaults) are read. */
static void mz_refuse_internal_subset(void *ctx, const xmlChar *name, const xmlChar *external_id,
                                      const xmlChar *system_id) {
    (void)name; (void)external_id; (void)system_id;
    xmlParserCtxtPtr ctxt = (xmlParserCtxtPtr)ctx;
    ctxt->_private = (void *)1;
    xmlStopParser(ctxt);
}

static void mz_refuse_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
                                  const xmlChar *system_id, xmlChar *content) {
    (void)name; (void)type; (void)public_id; (void)system_id; (void)content;
    xmlParserCtxtPtr ctxt = (xmlParserCtxtPtr)ctx;
    ctxt->_private = (void *)1;
    xmlStopParser(ctxt);
}

xmlDocPtr mz_xml_parse_memory(const char *buffer, int size, const char *url, int options,
                              mz_parse_failure *failure) {
    memset(failure, 0, sizeof(*failure));
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (ctxt == NULL) {
        snprintf(failure->message, sizeof(failure->message), "out of memory creating the XML parser");
        return NULL;
    }
    ctxt->sax->internalSubset = mz_refuse_internal_subset;
    ctxt->sax->externalSubset = mz_refuse_internal_subset;
    ctxt->sax->entityDecl = mz_refuse_entity_decl;
    ctxt->_private = NULL;
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, buffer, size, url, NULL, options);
    int refused = ctxt->_private != NULL;
    if (refused || doc == NULL || !ctxt->wellFormed) {
        failure->refused_dtd = refused;
        xmlErrorPtr err = xmlCtxtGetLastError(ctxt);
        if (err != NULL && err->code != 0) {
            failure->code = err->code;
            failure->line = err->line;
            failure->column = err->int2;
            if (err->message != NULL) {
                snprintf(failure->message, sizeof(failure->message), "%s", err->message);
                size_t n = strlen(failure->message);
                while (n > 0 && (failure->message[n - 1] == '\n' || failure->message[n - 1] == ' ')) {
                    failure->message[--n] = 0;
                }
            }
        } else if (!refused) {
            snprintf(failure->message, sizeof(failure->message), "the document is not well-formed");
        }
        if (doc != NULL) { xmlFreeDoc(doc); doc = NULL; }
    } else if (!ctxt->nsWellFormed) {
        failure->namespace_error = 1;
        xmlErrorPtr err = xmlCtxtGetLastError(ctxt);
        if (err != NULL && err->domain == XML_FROM_NAMESPACE) {
            failure->namespace_line = err->line;
            if (err->message != NULL) {
                snprintf(failure->namespace_message, sizeof(failure->namespace_message), "%s", err->message);
                size_t n = strlen(failure->namespace_message);
                while (n > 0 && (failure->namespace_message[n - 1] == '\n' || failure->namespace_message[n - 1] == ' ')) {
                    failure->namespace_message[--n] = 0;
                }
            }
        }
    }
    xmlFreeParserCtxt(ctxt);
    return doc;
}

void mz_xml_free(void *pointer) { xmlFree(pointer); }

void mz_tune_allocator(void) {
    mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
    mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024);
}

long mz_last_occurrence(const unsigned char *bytes, size_t length, size_t floor, const char *needle,
                        size_t needle_length) {
    if (needle_length == 0 || length < needle_length || floor > length - needle_length) return -1;
    size_t end = length - needle_length + 1; /* candidates start below this */
    while (end > floor) {
        const unsigned char *hit = memrchr(bytes + floor, (unsigned char)needle[0], end - floor);
        if (hit == NULL) return -1;
        if (memcmp(hit, needle, needle_length) == 0) return (long)(hit - bytes);
        end = (size_t)(hit - bytes);
    }
    return -1;
}
