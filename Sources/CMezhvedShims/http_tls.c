/*
 * TLS for OpenSSL's HTTP client (OSSL_HTTP_transfer): the connection callback that puts an SSL BIO
 * on the connected socket BIO, with the server name sent (SNI) and checked against the certificate
 * (a DNS name, or an IP address for a literal one), and takes it off again when the exchange ends.
 */
#include <string.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include "CMezhvedShims.h"

/* Whether `host` is an IPv4 or IPv6 literal (which SNI may not carry). */
static int mz_is_ip_literal(const char *host) {
    ASN1_OCTET_STRING *ip = a2i_IPADDRESS(host);
    if (ip == NULL) {
        ERR_clear_error();
        return 0;
    }
    ASN1_OCTET_STRING_free(ip);
    return 1;
}

BIO *mz_http_tls_update(BIO *bio, void *arg, int connect, int detail) {
    mz_http_tls *tls = (mz_http_tls *)arg;
    if (tls == NULL || tls->context == NULL) return bio; /* plain HTTP */
    if (connect) {
        if (!detail) return bio; /* no TLS asked for this connection */
        SSL *ssl = SSL_new(tls->context);
        if (ssl == NULL) return NULL;
        X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
        if (mz_is_ip_literal(tls->host)) {
            if (X509_VERIFY_PARAM_set1_ip_asc(param, tls->host) != 1) {
                SSL_free(ssl);
                return NULL;
            }
        } else if (SSL_set_tlsext_host_name(ssl, tls->host) != 1 || SSL_set1_host(ssl, tls->host) != 1) {
            SSL_free(ssl);
            return NULL;
        }
        SSL_set_connect_state(ssl);
        BIO *ssl_bio = BIO_new(BIO_f_ssl());
        if (ssl_bio == NULL) {
            SSL_free(ssl);
            return NULL;
        }
        BIO_set_ssl(ssl_bio, ssl, BIO_CLOSE);
        return BIO_push(ssl_bio, bio);
    }
    /* Disconnecting: the SSL BIO comes off, the connection BIO under it is OpenSSL's to free. */
    if (BIO_find_type(bio, BIO_TYPE_SSL) != bio) return bio;
    ERR_set_mark();
    BIO_ssl_shutdown(bio);
    BIO *connection = BIO_pop(bio);
    BIO_free(bio);
    ERR_pop_to_mark();
    return connection;
}
