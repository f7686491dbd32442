"""An independent reading of qrkiosk passes (docs/protocol.md, "Passes"), for protocol/test/pass.test.ts.

Written from the format description with Python's base64.b32decode/b32encode and the `cryptography`
package's Ed25519 (not qrkiosk's code): `read` checks a token's signature and prints its fields;
`make` builds and signs a token; `list` checks a QRKPL1 pass list and prints its entries; `make-list`
writes a signed QRKPL1 list with the entries exactly in the order and with the flags given (so a test can
hand qrkiosk a *signed* unsorted, duplicate or unknown-flag list).
"""
import base64
import datetime
import hashlib
import json
import struct
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

EPOCH = datetime.date(2020, 1, 1)
KINDS = {1: "site", 2: "ward", 3: "province"}
# passKey(16) | idHash(16) | validUntil u16 BE | flags u8 (bit 0 revoked)
ENTRY = 35
# passKey(16) | another keyed hash of the holder (16), after the entries, sorted by (passKey, hash)
LINK = 32


def day(n):
    return (EPOCH + datetime.timedelta(days=n)).isoformat()


def number(d):
    return (datetime.date.fromisoformat(d) - EPOCH).days


def read(token, public_hex):
    assert token.startswith("QRKP1:")
    text = token[6:]
    raw = base64.b32decode(text + "=" * (-len(text) % 8))
    body, signature = raw[:-64], raw[-64:]
    Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(signature, b"qrkiosk-pass/1\n" + body)
    version = body[0]
    pass_id = body[1:11].hex()
    kind = KINDS[body[11]]
    n = body[12]
    scope_id = body[13 : 13 + n].decode("ascii")
    valid_from, valid_until = struct.unpack(">HH", body[13 + n : 17 + n])
    key_id = body[17 + n : 25 + n].hex()
    assert len(body) == 25 + n
    print(json.dumps({"version": version, "passId": pass_id, "scope": {"kind": kind, "id": scope_id},
                      "validFrom": day(valid_from), "validUntil": day(valid_until), "keyId": key_id,
                      "passKey": hashlib.sha256(body[1:11]).digest()[:16].hex()}))


def make(fields_json, seed_hex):
    f = json.loads(fields_json)
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex))
    kind = {v: k for k, v in KINDS.items()}[f["scope"]["kind"]]
    sid = f["scope"]["id"].encode("ascii")
    body = bytes([1]) + bytes.fromhex(f["passId"]) + bytes([kind, len(sid)]) + sid
    body += struct.pack(">HH", number(f["validFrom"]), number(f["validUntil"])) + bytes.fromhex(f["keyId"])
    signature = key.sign(b"qrkiosk-pass/1\n" + body)
    print("QRKP1:" + base64.b32encode(body + signature).decode("ascii").rstrip("="))


def read_list(path, public_hex):
    data = open(path, "rb").read()
    assert data[:7] == b"QRKPL1\n"
    (length,) = struct.unpack("<I", data[7:11])
    header_bytes = data[11 : 11 + length]
    header = json.loads(header_bytes)
    body = data[11 + length : -64]
    assert len(body) == ENTRY * header["count"] + LINK * header["linkCount"]
    entries, links = body[: ENTRY * header["count"]], body[ENTRY * header["count"] :]
    signed = b"qrkiosk-pass-list/1" + header_bytes + hashlib.sha256(body).digest()
    Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(data[-64:], signed)
    out = []
    for i in range(header["count"]):
        e = entries[ENTRY * i : ENTRY * i + ENTRY]
        (until, flags) = struct.unpack(">HB", e[32:])
        assert flags & ~1 == 0, "unknown flag bits"
        revoked = bool(flags & 1)
        # A revoked entry names nobody (docs/protocol.md): its idHash is 16 zero bytes.
        assert not revoked or e[16:32] == bytes(16), "a revoked entry carries a holder"
        out.append({"passKey": e[:16].hex(), "idHash": e[16:32].hex(), "validUntil": day(until), "revoked": revoked})
    assert [o["passKey"] for o in out] == sorted({o["passKey"] for o in out}), "not sorted or duplicated"
    pairs = [(links[i : i + 16].hex(), links[i + 16 : i + 32].hex()) for i in range(0, len(links), LINK)]
    assert pairs == sorted(set(pairs)), "links not sorted or duplicated"
    live = {o["passKey"] for o in out if not o["revoked"]}
    assert all(k in live for k, _ in pairs), "a link names no unrevoked pass"
    for o in out:
        o["links"] = [h for k, h in pairs if k == o["passKey"]]
    print(json.dumps({"header": header, "entries": out}))


def make_list(header_json, entries_json, seed_hex, path, links_json="[]"):
    """entries: [{passKey, idHash, validUntil, flags}], links: [{passKey, hash}], each written in the order
    given, not sorted (the header's linkCount is the caller's)."""
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex))
    header_bytes = header_json.encode("utf-8")
    entries = b"".join(
        bytes.fromhex(e["passKey"]) + bytes.fromhex(e["idHash"]) + struct.pack(">HB", number(e["validUntil"]), e["flags"])
        for e in json.loads(entries_json)
    )
    entries += b"".join(bytes.fromhex(l["passKey"]) + bytes.fromhex(l["hash"]) for l in json.loads(links_json))
    signed = b"qrkiosk-pass-list/1" + header_bytes + hashlib.sha256(entries).digest()
    data = b"QRKPL1\n" + struct.pack("<I", len(header_bytes)) + header_bytes + entries + key.sign(signed)
    open(path, "wb").write(data)


if __name__ == "__main__":
    {"read": read, "make": make, "list": read_list, "make-list": make_list}[sys.argv[1]](*sys.argv[2:])
