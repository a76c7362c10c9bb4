"""AES-GCM encryption of stored events with key rotation: the first key encrypts, every key decrypts."""

from __future__ import annotations

import hashlib
import os
from base64 import b64decode, b64encode
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Cipher

MAGIC = b"YS\x01"  # format marker and version of our envelope
KEY_ID_BYTES = 4
NONCE_BYTES = 12


class CipherKeyError(ValueError):
    """A key is malformed, or stored data was encrypted with a key we do not hold."""


def generate_key() -> str:
    """A new random 256-bit key, base64."""
    return b64encode(AESGCM.generate_key(bit_length=256)).decode()


def key_id(key: bytes) -> bytes:
    """A short, non-secret fingerprint of a key, stored in front of each ciphertext."""
    return hashlib.sha256(b"yousu-key-id" + key).digest()[:KEY_ID_BYTES]


def parse_keys(value: str) -> list[bytes]:
    """``new,old,older`` — base64 keys of 16, 24 or 32 bytes; the first one encrypts."""
    keys: list[bytes] = []
    for i, part in enumerate(p.strip() for p in value.split(",")):
        if not part:
            continue
        try:
            key = b64decode(part, validate=True)
        except ValueError as exc:
            msg = f"YOUSU_CIPHER_KEY entry {i + 1} is not base64"
            raise CipherKeyError(msg) from exc
        if len(key) not in (16, 24, 32):
            msg = f"YOUSU_CIPHER_KEY entry {i + 1} must be 16, 24 or 32 bytes, got {len(key)}"
            raise CipherKeyError(msg)
        keys.append(key)
    if not keys:
        msg = "YOUSU_CIPHER_KEY is empty"
        raise CipherKeyError(msg)
    return keys


class KeyringCipher(Cipher):
    """eventsourcing cipher (CIPHER_TOPIC) reading ``CIPHER_KEY`` as a comma-separated keyring."""

    CIPHER_KEY = "CIPHER_KEY"

    def __init__(self, environment: Any) -> None:
        value = environment.get(self.CIPHER_KEY)
        if not value:
            msg = "CIPHER_KEY not set"
            raise CipherKeyError(msg)
        keys = parse_keys(value)
        self.current = keys[0]
        self.current_id = key_id(keys[0])
        self.keys = {key_id(k): AESGCM(k) for k in keys}

    def encrypt(self, plaintext: bytes) -> bytes:
        """Envelope: magic, key id, nonce, AES-GCM ciphertext with tag."""
        nonce = os.urandom(NONCE_BYTES)
        aead = self.keys[self.current_id]
        return MAGIC + self.current_id + nonce + aead.encrypt(nonce, plaintext, MAGIC + self.current_id)

    def decrypt(self, ciphertext: bytes) -> bytes:
        """Pick the key by its id; fail loudly for unknown keys or damaged data."""
        if not ciphertext.startswith(MAGIC):
            msg = "stored data is not encrypted by yousu (plaintext store, or another format)"
            raise CipherKeyError(msg)
        head = len(MAGIC)
        kid = ciphertext[head : head + KEY_ID_BYTES]
        aead = self.keys.get(kid)
        if aead is None:
            msg = f"stored data was encrypted with key id {kid.hex()}, which is not in YOUSU_CIPHER_KEY"
            raise CipherKeyError(msg)
        nonce = ciphertext[head + KEY_ID_BYTES : head + KEY_ID_BYTES + NONCE_BYTES]
        try:
            return aead.decrypt(nonce, ciphertext[head + KEY_ID_BYTES + NONCE_BYTES :], MAGIC + kid)
        except InvalidTag as exc:
            msg = "stored data failed authentication (damaged, or a wrong key with a colliding id)"
            raise CipherKeyError(msg) from exc
