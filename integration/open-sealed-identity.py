#!/usr/bin/python3
"""Opens one check-in's sealed identity from a hub's SQLite database, with Python's `cryptography`.

An oracle independent of the Node code that sealed it (protocol/src/sealed-identity.ts): the format is
read from the contract (docs/notes of issue #18), not from that code. Used by
integration/tracing-sealed.test.ts.

    open-sealed-identity.py TRACING_KEY_PEM HUB_DB CHECKIN_ID

Reads the row with Python's own sqlite3 module, opens document.sealed and prints one JSON object:
{"kid": …, "kidOfKey": …, "clear": {…the IdentityClear…}}. Exit 1 with a message on stderr otherwise.

Format: box = base64(epk(32 raw) ‖ iv(12) ‖ ciphertext ‖ tag(16)); shared = X25519(key, epk);
key = HKDF-SHA256(shared, salt = epk ‖ recipient_raw, info = 'qrkiosk identity seal v1', 32 bytes);
AES-256-GCM with AAD = utf8 'qrkiosk.checkin/1|<checkin id>'; kid = hex of sha256(recipient_raw)[:8].
"""

import base64
import hashlib
import json
import sqlite3
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def main(key_file: str, db_file: str, checkin_id: str) -> None:
    with open(key_file, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    if not isinstance(key, X25519PrivateKey):
        raise SystemExit(f"{key_file}: not an X25519 private key")
    recipient_raw = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    # Read-only: the hub may still be running (WAL).
    db = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    row = db.execute("SELECT message FROM checkins WHERE id = ?", (checkin_id,)).fetchone()
    db.close()
    if row is None:
        raise SystemExit(f"no check-in {checkin_id} in {db_file}")
    sealed = json.loads(row[0])["document"]["sealed"]
    box = base64.b64decode(sealed["box"], validate=True)
    epk, iv, body = box[:32], box[32:44], box[44:]
    shared = key.exchange(X25519PublicKey.from_public_bytes(epk))
    aes_key = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=epk + recipient_raw,
        info=b"qrkiosk identity seal v1",
    ).derive(shared)
    # cryptography's AESGCM takes ciphertext ‖ tag (16 bytes), as the box carries them.
    clear = AESGCM(aes_key).decrypt(iv, body, f"qrkiosk.checkin/1|{checkin_id}".encode("utf-8"))
    print(
        json.dumps(
            {
                "kid": sealed["kid"],
                "kidOfKey": hashlib.sha256(recipient_raw).digest()[:8].hex(),
                "boxBytes": len(box),
                "clear": json.loads(clear.decode("utf-8")),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit("usage: open-sealed-identity.py TRACING_KEY_PEM HUB_DB CHECKIN_ID")
    main(sys.argv[1], sys.argv[2], sys.argv[3])
