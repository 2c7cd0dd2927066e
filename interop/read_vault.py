#!/usr/bin/python3
"""An independent reader of the nicvault v1 format, written from docs/format.md alone.

It checks every vector of docs/format-vectors.md: vectors that open must give their payload and vault key,
vectors that must be refused must fail with their label. Uses PyNaCl (Debian's python3-nacl) over libsodium.
Usage: read_vault.py docs/format-vectors.md  (prints "N passed, N failed")
"""
import re
import struct
import sys

from nacl import bindings, exceptions, pwhash
from nacl.hash import blake2b
from nacl.encoding import RawEncoder
from nacl.public import PrivateKey, SealedBox

MAGIC = b"NICVAULT"


class Refused(Exception):
    def __init__(self, label):
        super().__init__(label)
        self.label = label


def take(data, offset, count):
    if offset + count > len(data):
        raise Refused("truncated")
    return data[offset:offset + count], offset + count


def open_vault(data, passphrase=None, identity=None):
    if len(data) < 8:
        raise Refused("truncated" if data and MAGIC.startswith(data) else "not-a-vault")
    if data[:8] != MAGIC:
        raise Refused("not-a-vault")
    version, offset = take(data, 8, 2)
    if struct.unpack(">H", version)[0] != 1:
        raise Refused("unsupported-version")
    vault_id, offset = take(data, offset, 16)
    generation, offset = take(data, offset, 8)
    count, offset = take(data, offset, 1)
    slots = []
    for _ in range(count[0]):
        kind, offset = take(data, offset, 1)
        length, offset = take(data, offset, 2)
        body, offset = take(data, offset, struct.unpack(">H", length)[0])
        slots.append((kind[0], body))
    nonce, offset = take(data, offset, 24)
    ct_len, offset = take(data, offset, 8)
    checksum_at = offset
    checksum, offset = take(data, offset, 32)
    if blake2b(data[:checksum_at], digest_size=32, encoder=RawEncoder) != checksum:
        raise Refused("header-checksum")
    header = data[:offset]
    ct_len = struct.unpack(">Q", ct_len)[0]
    if struct.unpack(">Q", generation)[0] == 0 or not 1 <= count[0] <= 16:
        raise Refused("malformed-header")
    for kind, body in slots:
        if kind == 1:
            if len(body) != 101:
                raise Refused("malformed-header")
            if body[0] != 2:
                raise Refused("unsupported-kdf")
            ops, mem = struct.unpack(">I", body[1:5])[0], struct.unpack(">Q", body[5:13])[0]
            if ops < 2 or mem < 64 << 20 or ops > 10 or mem > 4 << 30:
                raise Refused("kdf-parameters-out-of-range")
        elif kind == 2:
            if len(body) != 112:
                raise Refused("malformed-header")
        else:
            raise Refused("unknown-slot-type")
    if ct_len < 528 or ct_len > 1 << 30:
        raise Refused("malformed-header")
    rest = len(data) - offset
    if rest < ct_len:
        raise Refused("truncated")
    if rest > ct_len:
        raise Refused("trailing-bytes")

    key = None
    if passphrase is not None:
        body = next((b for k, b in slots if k == 1), None)
        if body is None:
            raise Refused("no-passphrase-slot")
        ops, mem = struct.unpack(">I", body[1:5])[0], struct.unpack(">Q", body[5:13])[0]
        kek = pwhash.argon2id.kdf(32, passphrase.encode(), body[13:29], opslimit=ops, memlimit=mem)
        ad = vault_id + b"\x01" + body[0:29]
        try:
            key = bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(body[53:101], ad, body[29:53], kek)
        except exceptions.CryptoError:
            raise Refused("wrong-passphrase")
    else:
        public = bytes(identity.public_key)
        body = next((b for k, b in slots if k == 2 and b[:32] == public), None)
        if body is None:
            raise Refused("not-a-recipient")
        try:
            key = SealedBox(identity).decrypt(body[32:112])
        except exceptions.CryptoError:
            raise Refused("recipient-slot-damaged")
    try:
        padded = bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(data[offset:], header, nonce, key)
    except exceptions.CryptoError:
        raise Refused("payload-damaged")
    end = len(padded) - 1
    while end >= 0 and padded[end] == 0:
        end -= 1
    if end < 0 or padded[end] != 0x80 or padded_length(end) != len(padded):
        raise Refused("padding-damaged")
    return key, padded[:end]


def padded_length(length):
    needed = length + 1
    bucket = 512
    if needed >= 8192:
        bucket = 1 << (needed.bit_length() - 1 - 4)
    return (needed + bucket - 1) // bucket * bucket


def vectors(path):
    text = open(path, encoding="utf-8").read()
    for section in re.split(r"\n### ", text)[1:]:
        name = section.split("\n", 1)[0]
        hexdata = re.search(r"```hex\n(.*?)\n```", section, re.S).group(1).replace("\n", "")
        fields = dict(re.findall(r"^- ([^:`]+): `(.*)`$", section, re.M))
        error = re.search(r"expected error: `([a-z-]+)`", section)
        yield name, bytes.fromhex(hexdata), fields, error.group(1) if error else None


def main(path):
    passphrase = re.search(r"Passphrase of every vector: `(.*?)`", open(path, encoding="utf-8").read()).group(1)
    passed = failed = 0
    for name, data, fields, error in vectors(path):
        try:
            if name == "passphrase-and-recipient":
                identity = PrivateKey.from_seed(b"\x42" * 32)
                key, payload = open_vault(data, identity=identity)
                key2, payload2 = open_vault(data, passphrase=passphrase)
                assert (key, payload) == (key2, payload2)
            else:
                key, payload = open_vault(data, passphrase=fields.get("passphrase", passphrase))
            ok = error is None and key.hex() == fields["vault key"] and payload.decode() == fields["payload (UTF-8)"]
            detail = "opened" if ok else "opened, but should not have (or wrong contents)"
        except Refused as refusal:
            ok = refusal.label == error
            detail = f"refused: {refusal.label} (expected {error or 'to open'})"
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
        passed, failed = passed + ok, failed + (not ok)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "docs/format-vectors.md"))
