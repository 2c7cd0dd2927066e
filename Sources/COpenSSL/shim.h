#ifndef NICVAULT_COPENSSL_SHIM_H
#define NICVAULT_COPENSSL_SHIM_H
/* The few OpenSSL operations NIC's auth API needs and libsodium lacks: RSA with PKCS#1 v1.5 encryption
   padding, and AES-256-ECB with PKCS#7. Wrapped here because several OpenSSL entry points are macros or
   variadic, which Swift cannot import. Every function returns 1 on success and 0 on failure. */
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

static inline int nv_copy_bio(BIO *bio, char **out, size_t *out_len) {
    char *data = NULL;
    long length = BIO_get_mem_data(bio, &data);
    if (length <= 0) return 0;
    *out = malloc((size_t)length);
    if (*out == NULL) return 0;
    memcpy(*out, data, (size_t)length);
    *out_len = (size_t)length;
    return 1;
}

/* A new RSA key pair as PEM (PKCS#8 private key, SubjectPublicKeyInfo public key); free both with free(). */
static inline int nv_rsa_generate(int bits, char **private_pem, size_t *private_len, char **public_pem,
                                  size_t *public_len) {
    int ok = 0;
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, NULL);
    BIO *private_bio = BIO_new(BIO_s_mem()), *public_bio = BIO_new(BIO_s_mem());
    if (ctx && private_bio && public_bio && EVP_PKEY_keygen_init(ctx) == 1 &&
        EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits) == 1 && EVP_PKEY_keygen(ctx, &key) == 1 &&
        PEM_write_bio_PrivateKey(private_bio, key, NULL, NULL, 0, NULL, NULL) == 1 &&
        PEM_write_bio_PUBKEY(public_bio, key) == 1 && nv_copy_bio(private_bio, private_pem, private_len) &&
        nv_copy_bio(public_bio, public_pem, public_len)) {
        ok = 1;
    }
    EVP_PKEY_free(key);
    EVP_PKEY_CTX_free(ctx);
    BIO_free(private_bio);
    BIO_free(public_bio);
    return ok;
}

/* RSA encryption or decryption with PKCS#1 v1.5 padding. `out` must hold the key size (256 for RSA-2048). */
static inline int nv_rsa_pkcs1(int encrypt, const char *pem, size_t pem_len, const unsigned char *in, size_t in_len,
                               unsigned char *out, size_t *out_len) {
    int ok = 0;
    BIO *bio = BIO_new_mem_buf(pem, (int)pem_len);
    EVP_PKEY *key = bio ? (encrypt ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL)
                                   : PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL))
                        : NULL;
    EVP_PKEY_CTX *ctx = key ? EVP_PKEY_CTX_new(key, NULL) : NULL;
    if (ctx) {
        int init = encrypt ? EVP_PKEY_encrypt_init(ctx) : EVP_PKEY_decrypt_init(ctx);
        if (init == 1 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1) {
            size_t length = *out_len;
            int done = encrypt ? EVP_PKEY_encrypt(ctx, out, &length, in, in_len)
                               : EVP_PKEY_decrypt(ctx, out, &length, in, in_len);
            if (done == 1) {
                *out_len = length;
                ok = 1;
            }
        }
    }
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
    BIO_free(bio);
    return ok;
}

/* AES-256-ECB with PKCS#7 padding, as NIC uses it for the session key and request bodies.
   `out` must hold in_len + 16 bytes. */
static inline int nv_aes256_ecb(int encrypt, const unsigned char *key, const unsigned char *in, size_t in_len,
                                unsigned char *out, size_t *out_len) {
    int ok = 0, length = 0, final_length = 0;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx && EVP_CipherInit_ex(ctx, EVP_aes_256_ecb(), NULL, key, NULL, encrypt) == 1 &&
        EVP_CipherUpdate(ctx, out, &length, in, (int)in_len) == 1 &&
        EVP_CipherFinal_ex(ctx, out + length, &final_length) == 1) {
        *out_len = (size_t)(length + final_length);
        ok = 1;
    }
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}
#endif
