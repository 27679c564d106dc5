/* The GOST engine is reached through the ENGINE API, deprecated in OpenSSL 3.0 but the only way
 * to get GOST keys and signatures there (gostprov 3.0.1 offers digests and ciphers only).
 * This file is compiled with OPENSSL_SUPPRESS_DEPRECATED. */
#include "CMezhvedShims.h"
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

int mz_gost_engine_load(char *message, size_t message_size) {
    OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CRYPTO_STRINGS | OPENSSL_INIT_ADD_ALL_CIPHERS |
                            OPENSSL_INIT_ADD_ALL_DIGESTS | OPENSSL_INIT_ENGINE_DYNAMIC,
                        NULL);
    ENGINE *e = ENGINE_by_id("gost");
    if (e == NULL) {
        unsigned long code = ERR_peek_last_error();
        char reason[256] = {0};
        ERR_error_string_n(code, reason, sizeof(reason));
        ERR_clear_error();
        snprintf(message, message_size,
                 "OpenSSL's GOST engine could not be loaded (%s); install the Debian package "
                 "libengine-gost-openssl or set OPENSSL_ENGINES to the folder holding gost.so",
                 reason);
        return 0;
    }
    if (!ENGINE_init(e)) {
        ENGINE_free(e);
        ERR_clear_error();
        snprintf(message, message_size, "OpenSSL's GOST engine was found but failed to initialise");
        return 0;
    }
    if (!ENGINE_set_default(e, ENGINE_METHOD_ALL)) {
        ENGINE_finish(e);
        ENGINE_free(e);
        ERR_clear_error();
        snprintf(message, message_size, "OpenSSL's GOST engine could not be made the default for GOST");
        return 0;
    }
    /* The structural reference from ENGINE_by_id is dropped; the functional one taken by
     * ENGINE_init keeps the engine for the life of the process. */
    ENGINE_free(e);
    ERR_clear_error();
    return 1;
}

long mz_bio_mem_data(BIO *bio, char **data) { return BIO_get_mem_data(bio, data); }

unsigned long mz_name_print_flags(void) { return XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB; }

void mz_openssl_skip_atexit_cleanup(void) { OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL); }
