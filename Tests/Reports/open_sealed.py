#!/usr/bin/env python3
"""Opens a sealed archive object (a child's record, a quarantined document) without mezhved:
`mezhved-sealed/1 <key id>\\n` then AES-256-GCM's IV (12 bytes) || ciphertext || tag (16 bytes),
decrypted here through libcrypto's EVP interface by ctypes (standard library only). Prints the
plaintext; exits 1 when the tag does not verify (another key, or altered).

Usage: open_sealed.py DATA.key OBJECT
"""
import ctypes
import ctypes.util
import sys

lib = ctypes.CDLL(ctypes.util.find_library("crypto") or "libcrypto.so.3")
lib.EVP_CIPHER_CTX_new.restype = ctypes.c_void_p
lib.EVP_aes_256_gcm.restype = ctypes.c_void_p
raw = open(sys.argv[1], "rb").read()
key = raw if len(raw) == 32 else bytes.fromhex(raw.decode().strip())
data = open(sys.argv[2], "rb").read()
header, body = data.split(b"\n", 1)
assert header.startswith(b"mezhved-sealed/1 sha256:"), header
iv, ct, tag = body[:12], body[12:-16], body[-16:]
ctx = ctypes.c_void_p(lib.EVP_CIPHER_CTX_new())
assert lib.EVP_DecryptInit_ex(ctx, ctypes.c_void_p(lib.EVP_aes_256_gcm()), None, key, iv) == 1
out = ctypes.create_string_buffer(len(ct) + 16)
n = ctypes.c_int(0)
assert lib.EVP_DecryptUpdate(ctx, out, ctypes.byref(n), ct, len(ct)) == 1
assert lib.EVP_CIPHER_CTX_ctrl(ctx, 0x11, 16, tag) == 1  # EVP_CTRL_GCM_SET_TAG
final = ctypes.c_int(0)
if lib.EVP_DecryptFinal_ex(ctx, ctypes.byref(out, n.value), ctypes.byref(final)) != 1:
    sys.exit("the GCM tag does not verify")
sys.stdout.write(out.raw[: n.value + final.value].decode())
