#ifndef MEZHVED_SHIMS_H
#define MEZHVED_SHIMS_H
#include <stddef.h>
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/tree.h>
#include <openssl/bio.h>

/// What went wrong in a secure parse, read from the parser context (not from thread-global state).
typedef struct mz_parse_failure {
    int code;           /* libxml2 error code, 0 when none */
    int line;           /* 1-based line of the error, 0 when unknown */
    int column;
    int refused_dtd;    /* 1 when the document declared a DOCTYPE (refused before any entity is read) */
    char message[512];
    /* A well-formed document that is not namespace-well-formed (a prefix used without a declaration):
     * the tree is returned, and this says where the last namespace error is. */
    int namespace_error;
    int namespace_line;
    char namespace_message[256];
} mz_parse_failure;

/// One-time process set-up of libxml2: initialise the parser and install an external-entity loader
/// that refuses everything (a backstop: DTDs are refused before they are read anyway).
void mz_xml_global_init(void);

/// Lets the external-entity loader read files below `folder` (mezhved's own XML schemas, whose
/// `xs:include`s go through it); everything else stays refused. Returns 1 on success.
int mz_xml_allow_folder(const char *folder);

/// Parses `size` bytes with the given libxml2 options; a DOCTYPE stops the parse at once.
/// Returns NULL on failure and fills `failure`.
xmlDocPtr mz_xml_parse_memory(const char *buffer, int size, const char *url, int options,
                              mz_parse_failure *failure);

/// Receives canonical octets from `mz_exclusive_c14n`, in order, in pieces of up to 16 KiB.
typedef void (*mz_c14n_sink)(void *context, const unsigned char *bytes, size_t length);

enum {
    MZ_C14N_DONE = 0,         /* everything was written to the sink */
    MZ_C14N_UNSUPPORTED = 1,  /* nothing was written: run libxml2's xmlC14NExecute instead */
    MZ_C14N_FAILED = -1       /* out of memory part-way: the octets written are incomplete */
};

/// Exclusive canonicalization (with or without comments) of the whole document (`subtree` NULL)
/// or of the element `subtree`, leaving out the subtree at `excluded` (may be NULL), with an
/// optional NULL-terminated InclusiveNamespaces prefix list. Writes the same octets as libxml2 2.9's
/// `xmlC14NExecute` in exclusive mode for such node-sets, without its per-node allocations.
int mz_exclusive_c14n(xmlDocPtr doc, xmlNodePtr subtree, xmlNodePtr excluded, const char *const *inclusive_prefixes,
                      int with_comments, mz_c14n_sink sink, void *context);

/// What a streaming canonicalization is asked for.
typedef struct mz_stream_c14n_options {
    const char *target_id;                    /* NULL: the whole document; else the one element with this Id/ID/id */
    const char *reserved_id;                  /* an Id about to be given to the signature; NULL for none */
    const char *const *inclusive_prefixes;    /* NULL-terminated InclusiveNamespaces list, or NULL */
    int with_comments;
    int refuse_signed;                        /* stop at a ds:Signature element (a document to sign has none) */
    int enveloped_signature;                  /* verification: leave out the one ds:Signature and hand it back */
    int max_depth;                            /* XMLParsingLimits.maxDepth */
    int max_attributes;                       /* XMLParsingLimits.maxAttributesPerElement */
} mz_stream_c14n_options;

enum {
    MZ_STREAM_DONE = 0,        /* every canonical octet went to the sink */
    MZ_STREAM_TREE_NEEDED = 1  /* stopped for `reason`: the octets written are void; use the tree path */
};

/// Why a streaming canonicalization left the document to the tree path.
enum {
    MZ_STREAM_MALFORMED = 1,
    MZ_STREAM_DOCTYPE,
    MZ_STREAM_NAMESPACE_ERROR,
    MZ_STREAM_LIMIT_EXCEEDED,
    MZ_STREAM_NAMESPACE_URI,     /* relative or quoted: libxml2's canonicalization decides */
    MZ_STREAM_ALREADY_SIGNED,    /* a ds:Signature element is present (with refuse_signed) */
    MZ_STREAM_TARGET_MISSING,
    MZ_STREAM_TARGET_AMBIGUOUS,
    MZ_STREAM_NOT_UTF8,
    MZ_STREAM_OUT_OF_MEMORY,
    /* With enveloped_signature: what only the tree path judges. */
    MZ_STREAM_SIGNATURE_COUNT,   /* no ds:Signature, more than one, or the document element is one */
    MZ_STREAM_DUPLICATE_ID,      /* two elements carry the same Id/ID/id */
    MZ_STREAM_COMMENT,           /* a comment inside the document element, outside the signature */
    MZ_STREAM_SIGNATURE_CONTEXT, /* the signature's ancestors carry xml:* attributes, or a namespace
                                    URI in scope needs escaping: its context is not re-created exactly */
    MZ_STREAM_EMPTY_CDATA        /* an empty CDATA section inside the document element, outside the
                                    signature (the tree path judges whether it splits signed text) */
};

typedef struct mz_stream_c14n_result {
    int reason;                  /* 0 when done */
    int target_is_root;          /* the target element is the document element */
    int reserved_id_seen;        /* an element already carries `reserved_id` */
    char *root_prefix;           /* the document element's prefix (NULL when none) and local name; */
    char *root_name;             /* malloc'd, freed by mz_stream_c14n_result_clear */
    /* With enveloped_signature: the ds:Signature element's bytes as written, inside a wrapper element
     * that declares the namespaces in scope at the signature (malloc'd, freed by the clear). */
    char *signature_document;
    size_t signature_document_size;
} mz_stream_c14n_result;

/// Exclusive canonicalization (as `mz_exclusive_c14n` writes it) of a document while libxml2
/// parses it, without building a tree: the whole document, or the element whose Id is
/// `options->target_id`. The parse refuses DTDs like `mz_xml_parse_memory`. Whatever the tree path
/// would refuse or treat differently stops it with MZ_STREAM_TREE_NEEDED and a reason.
/// With `options->enveloped_signature` (whole document, for verification) the one ds:Signature is
/// left out of the octets (the enveloped-signature transform, comments never written) and its bytes
/// come back in `result->signature_document`, wrapped to keep the namespaces in scope.
int mz_stream_exclusive_c14n(const char *buffer, int size, const mz_stream_c14n_options *options, mz_c14n_sink sink,
                             void *context, mz_stream_c14n_result *result);

/// Frees the names and the signature document a successful `mz_stream_exclusive_c14n` left in `result`.
void mz_stream_c14n_result_clear(mz_stream_c14n_result *result);

/// The offset of the last occurrence of `needle` in `bytes[floor..<length]`, or -1: `memrchr` on
/// its first byte, then `memcmp` (glibc's `memrchr` is not visible from Swift).
long mz_last_occurrence(const unsigned char *bytes, size_t length, size_t floor, const char *needle,
                        size_t needle_length);

/// `xmlFree` is a global function pointer that Swift 6 refuses to touch.
void mz_xml_free(void *pointer);

/// Loads OpenSSL's GOST engine (`gost.so`) and makes it the default for every method it offers:
/// on OpenSSL 3.0 only the engine provides GOST keys, signatures and certificates.
/// Returns 1 on success; on failure writes a reason into `message`.
int mz_gost_engine_load(char *message, size_t message_size);

/// `BIO_get_mem_data` is a macro.
long mz_bio_mem_data(BIO *bio, char **data);

/// Flags for `X509_NAME_print_ex`: RFC 2253 order and separators, UTF-8 kept as UTF-8.
unsigned long mz_name_print_flags(void);
/// Process tuning for a long-running gateway or a batch: glibc keeps freed heap memory for reuse
/// instead of returning it to the kernel after every document (which costs fresh zeroed pages on
/// the next one). For executables only; a library must not change its host's allocator.
void mz_tune_allocator(void);
/// For executables, before any other OpenSSL call: OpenSSL registers no atexit clean-up, so a
/// background thread that still frees a key while the process exits (a checkpoint task dropping
/// the gateway's key, say) does not touch locks the clean-up already freed. The system reclaims all.
void mz_openssl_skip_atexit_cleanup(void);
/// syncfs(2): commits every dirty file of the file system holding `fd` (-1 with errno on failure).
int mz_syncfs(int fd);

/// What `mz_http_tls_update` needs for one HTTPS exchange: the client context (its trust store and
/// `SSL_VERIFY_PEER`) and the server's name as written in the URL.
typedef struct mz_http_tls {
    struct ssl_ctx_st *context;
    const char *host;
} mz_http_tls;

/// The `bio_update_fn` of `OSSL_HTTP_transfer` for HTTPS, `arg` an `mz_http_tls`: on connecting
/// with TLS, an SSL BIO whose peer certificate must name `host` (DNS name, or IP address for a
/// literal); on disconnecting, the SSL BIO shut down and removed. NULL on failure (queue filled).
BIO *mz_http_tls_update(BIO *bio, void *arg, int connect, int detail);
#endif
