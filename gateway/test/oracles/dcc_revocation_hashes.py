"""EU DCC revocation hashes of dgc-testdata vectors, computed without qrkiosk's decoder (the test oracle).

Reads a JSON list of test-case files on stdin; prints {file: {uci, countrycodeuci, signature}}, base64.
`ci` comes from the case's JSON field (the issuer's own HCERT), the issuing country `iss` from the CWT
claims in the payload of the case's COSE hex, decoded with Debian's python3-cbor2 (not our CBOR decoder), the signature
from the tail of the case's COSE hex (the COSE_Sign1 ends with the signature byte string), hashed with
hashlib and cut to the first 16 bytes (128 bits). COUNTRYCODEUCI is `iss` + `ci` (the EU text; CWA);
`countrycodeuci_co` is `co` upper-cased + `ci` (dgca-verifier-app-android), which the kiosk also honours.
"""
import base64
import hashlib
import json
import sys

import cbor2

# CBOR byte-string heads for the signature sizes in use: ECDSA P-256 / P-384 (r||s), RSA 2048/3072/4096.
HEADS = ((64, b"\x58\x40", "ec"), (96, b"\x58\x60", "ec"), (256, b"\x59\x01\x00", "rsa"),
         (384, b"\x59\x01\x80", "rsa"), (512, b"\x59\x02\x00", "rsa"))


def h16(data):
    return base64.b64encode(hashlib.sha256(data).digest()[:16]).decode()


out = {}
for name in json.load(sys.stdin):
    with open(name, encoding="utf-8") as f:
        case = json.load(f)
    # Cases that test broken codes may lack the JSON or COSE fields, or carry no single entry.
    try:
        hcert = case["JSON"] if isinstance(case["JSON"], dict) else json.loads(case["JSON"])
        entry = (hcert.get("v") or hcert.get("t") or hcert.get("r"))[0]
        ci, co = entry["ci"], entry["co"]
        cose = bytes.fromhex(case["COSE"])
        sign1 = cbor2.loads(cose)  # COSE_Sign1 (tag 18): [protected, unprotected, payload, signature]
        iss = cbor2.loads((sign1.value if isinstance(sign1, cbor2.CBORTag) else sign1)[2]).get(1)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, cbor2.CBORDecodeError):
        continue
    if not isinstance(iss, str):
        continue
    for size, head, kind in HEADS:
        if cose[-size - len(head):-size] == head:
            sig = cose[-size:]
            break
    else:
        continue
    # ECDSA: the r value, the first half of r||s; RSA: the whole signature.
    signed = sig[: size // 2] if kind == "ec" else sig
    out[name] = {
        "uci": h16(ci.encode("utf-8")),
        "countrycodeuci": h16((iss + ci).encode("utf-8")),
        "countrycodeuci_co": h16((co.upper() + ci).encode("utf-8")),
        "iss": iss,
        "co": co,
        "signature": h16(signed),
        "kind": kind,
    }
print(json.dumps(out))
