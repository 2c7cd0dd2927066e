#!/usr/bin/python3
"""An independent reader of the nicvault format, versions 1 and 2, written from docs/format.md alone.

It checks every vector of docs/format-vectors.md (version 1) and docs/format-vectors-v2.md (version 2): vectors
that open must give their vault key and payload (version 1) or index and records (version 2); vectors that must
be refused must fail with their label. Uses PyNaCl (Debian's python3-nacl) over libsodium, and Python's hashlib
for keyed BLAKE2b with salt and personalisation (what crypto_kdf_derive_from_key computes).
Usage: read_vault.py docs/format-vectors.md [docs/format-vectors-v2.md ...]  (prints "N passed, N failed")
"""
import hashlib
import hmac
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
    """Version 1: (key, payload). Version 2: (key, (index, [record contents]))."""
    if len(data) < 8:
        raise Refused("truncated" if data and MAGIC.startswith(data) else "not-a-vault")
    if data[:8] != MAGIC:
        raise Refused("not-a-vault")
    version, offset = take(data, 8, 2)
    version = struct.unpack(">H", version)[0]
    if version not in (1, 2):
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
    commitment = b""
    if version == 2:
        commitment, offset = take(data, offset, 32)
    nonce, offset = take(data, offset, 24)
    ct_len, offset = take(data, offset, 8)
    record_count = records_len = 0
    if version == 2:
        record_count, offset = take(data, offset, 4)
        records_len, offset = take(data, offset, 8)
        record_count, records_len = struct.unpack(">I", record_count)[0], struct.unpack(">Q", records_len)[0]
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
    if sum(1 for k, _ in slots if k == 1) > 1:
        raise Refused("malformed-header")
    publics = [b[:32] for k, b in slots if k == 2]
    if len(set(publics)) != len(publics):
        raise Refused("malformed-header")
    if ct_len < 528 or ct_len > 1 << 30:
        raise Refused("malformed-header")
    if version == 2 and (records_len > 1 << 36 or records_len < record_count * 196):
        raise Refused("malformed-header")
    rest = len(data) - offset
    if rest < ct_len + records_len:
        raise Refused("truncated")
    if rest > ct_len + records_len:
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
    if version == 1:
        try:
            padded = bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(data[offset:], header, nonce, key)
        except exceptions.CryptoError:
            raise Refused("payload-damaged")
        return key, unpad(padded, 512)

    expected = hashlib.blake2b(b"nicvault key commitment" + vault_id, digest_size=32, key=key).digest()
    if not hmac.compare_digest(expected, commitment):
        raise Refused("key-commitment")
    try:
        padded = bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
            data[offset:offset + ct_len], header, nonce, subkey(key, 1, b"nvmanife"))
    except exceptions.CryptoError:
        raise Refused("manifest-damaged")
    manifest = unpad(padded, 512)
    table_end = 4 + 56 * record_count
    if len(manifest) < 4 or struct.unpack(">I", manifest[:4])[0] != record_count or len(manifest) < table_end:
        raise Refused("manifest-damaged")
    table = [manifest[4 + 56 * i:4 + 56 * (i + 1)] for i in range(record_count)]
    if len({entry[:16] for entry in table}) != record_count:
        raise Refused("manifest-damaged")
    index = manifest[table_end:]

    records, at, end = [], offset + ct_len, len(data)
    for entry in table:
        if end - at < 52:
            raise Refused("record-damaged")
        length = struct.unpack(">I", data[at + 48:at + 52])[0]
        if length < 144 or at + 52 + length > end:
            raise Refused("record-damaged")
        if data[at:at + 24] != entry[:24]:  # id and version
            raise Refused("record-damaged")
        records.append(data[at:at + 52 + length])
        at += 52 + length
    if at != end:
        raise Refused("record-damaged")
    record_key = subkey(key, 2, b"nvrecord")
    contents = []
    for entry, record in zip(table, records):
        if not hmac.compare_digest(blake2b(record, digest_size=32, encoder=RawEncoder), entry[24:56]):
            raise Refused("record-damaged")
        try:
            padded = bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
                record[52:], vault_id + record[:24], record[24:48], record_key)
        except exceptions.CryptoError:
            raise Refused("record-damaged")
        contents.append(unpad(padded, 128))
    return key, (index, contents)


def subkey(key, number, context):
    """crypto_kdf_derive_from_key (BLAKE2b, libsodium 1.0.18): salt = u64 LE id + 8 zeros, personal = ctx + 8 zeros."""
    salt = struct.pack("<Q", number) + bytes(8)
    return hashlib.blake2b(b"", digest_size=32, key=key, salt=salt, person=context + bytes(8)).digest()


def unpad(padded, minimum_bucket):
    end = len(padded) - 1
    while end >= 0 and padded[end] == 0:
        end -= 1
    if end < 0 or padded[end] != 0x80 or padded_length(end, minimum_bucket) != len(padded):
        raise Refused("padding-damaged")
    return padded[:end]


BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def age_identity(text):
    """The 32-byte X25519 private key of an AGE-SECRET-KEY-1... line (bech32, checksum checked)."""
    text = text.lower()
    hrp, data = text[:text.rindex("1")], [BECH32.index(c) for c in text[text.rindex("1") + 1:]]
    values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + data
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for bit, generator in enumerate([0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]):
            check ^= generator if (top >> bit) & 1 else 0
    if check != 1 or hrp != "age-secret-key-":
        raise ValueError("not an age identity")
    bits = acc = 0
    out = bytearray()
    for value in data[:-6]:
        acc, bits = acc << 5 | value, bits + 5
        if bits >= 8:
            bits -= 8
            out.append(acc >> bits & 0xFF)
    return PrivateKey(bytes(out))


def padded_length(length, minimum_bucket=512):
    needed = length + 1
    bucket = minimum_bucket
    if needed >= minimum_bucket * 16:
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


def check_v1(path):
    passphrase = re.search(r"Passphrase of every vector: `(.*?)`", open(path, encoding="utf-8").read()).group(1)
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
        yield name, ok, detail


def check_v2(path):
    for name, data, fields, error in vectors(path):
        section_records = [v for k, v in sorted(fields.items()) if k.startswith("record ")]
        try:
            if "open with identity" in fields:
                key, opened = open_vault(data, identity=age_identity(fields["open with identity"]))
            else:
                key, opened = open_vault(data, passphrase=fields["open with passphrase"])
            index, records = opened
            records_ok = [r.decode() for r in records] == [fields[k] for k in record_keys(fields)]
            ok = error is None and key.hex() == fields["vault key"] and index.decode() == fields["index (UTF-8)"]
            ok = ok and records_ok and len(section_records) == len(records)
            detail = f"opened ({len(records)} records)" if ok else "opened, but should not have (or wrong contents)"
        except Refused as refusal:
            ok = refusal.label == error
            detail = f"refused: {refusal.label} (expected {error or 'to open'})"
        yield name, ok, detail


def record_keys(fields):
    keys = [k for k in fields if k.startswith("record ")]
    return sorted(keys, key=lambda k: int(k.split()[1]))


def main(paths):
    passed = failed = 0
    for path in paths:
        text = open(path, encoding="utf-8").read()
        check = check_v2 if text.startswith("# nicvault format v2") else check_v1
        for name, ok, detail in check(path):
            print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
            passed, failed = passed + ok, failed + (not ok)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["docs/format-vectors.md", "docs/format-vectors-v2.md"]))
