//! The encrypted photo file: an authenticated streaming format over ChaCha20-Poly1305 (ring).
//!
//! Owns the bytes of a stored photo or thumbnail file and nothing else: where files live and how
//! they are written atomically is `super::store`; the key is `crate::keys::DataKey::photo_key`.
//!
//! ```text
//! header  "GPSEAL01" | salt (24 random bytes)                      32 bytes
//! chunk i ChaCha20-Poly1305(file key, nonce(i, last), aad = header,
//!                           plaintext[i·64 KiB .. (i+1)·64 KiB])   ≤ 64 KiB + 16
//! file key = HKDF-SHA256(photo key, salt)
//! nonce    = i as u64 big-endian | 0 0 0 | 1 on the final chunk, else 0
//! ```
//!
//! Each chunk's tag covers its position and whether it is the last, so a flipped bit, a chunk
//! moved or dropped, a file cut at a chunk boundary or spliced from another file all fail to
//! open ([`SealError`]); nothing partial is ever returned. The per-file salt makes every file's
//! key distinct, so counter nonces never repeat under one key. A file's length depends only on
//! the plaintext's, which the store's idempotent add relies on.

use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};
use ring::hkdf;
use ring::rand::{SecureRandom, SystemRandom};

const MAGIC: &[u8; 8] = b"GPSEAL01";
const SALT_BYTES: usize = 24;
/// The header's length: magic and salt.
pub const HEADER_BYTES: usize = MAGIC.len() + SALT_BYTES;
/// Plaintext bytes per chunk.
pub const CHUNK_BYTES: usize = 64 * 1024;
const TAG_BYTES: usize = 16;

/// A sealed file does not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the file is not a sealed photo file")]
    NotSealed,
    #[error("chunk {0} fails its authentication (damaged, moved, cut or from another file)")]
    Chunk(u64),
    #[error("no random bytes from the system")]
    Random,
}

/// The key photo files are sealed under. Never printed.
#[derive(Clone)]
pub struct PhotoKey([u8; 32]);

impl std::fmt::Debug for PhotoKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PhotoKey(..)")
    }
}

struct KeyLen;

impl hkdf::KeyType for KeyLen {
    fn len(&self) -> usize {
        32
    }
}

impl PhotoKey {
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    fn file_key(&self, salt: &[u8]) -> LessSafeKey {
        let mut key = [0u8; 32];
        hkdf::Salt::new(hkdf::HKDF_SHA256, salt)
            .extract(&self.0)
            .expand(&[b"gridpatrol photo file v1"], KeyLen)
            .and_then(|okm| okm.fill(&mut key))
            .expect("HKDF-SHA256 gives 32 bytes");
        LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &key).expect("a 32-byte key"))
    }
}

/// The length of the sealed file of `plaintext_len` bytes.
pub fn sealed_len(plaintext_len: usize) -> usize {
    let chunks = plaintext_len.div_ceil(CHUNK_BYTES).max(1);
    HEADER_BYTES + plaintext_len + chunks * TAG_BYTES
}

/// Whether `bytes` start like a sealed file.
pub fn is_sealed(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

fn nonce(index: u64, last: bool) -> Nonce {
    let mut n = [0u8; 12];
    n[..8].copy_from_slice(&index.to_be_bytes());
    n[11] = u8::from(last);
    Nonce::assume_unique_for_key(n)
}

/// Seals `plaintext` under a fresh salt.
pub fn seal(key: &PhotoKey, plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
    let mut header = [0u8; HEADER_BYTES];
    header[..MAGIC.len()].copy_from_slice(MAGIC);
    SystemRandom::new()
        .fill(&mut header[MAGIC.len()..])
        .map_err(|_| SealError::Random)?;
    let file_key = key.file_key(&header[MAGIC.len()..]);
    let mut out = Vec::with_capacity(sealed_len(plaintext.len()));
    out.extend_from_slice(&header);
    let chunks = plaintext.len().div_ceil(CHUNK_BYTES).max(1);
    for index in 0..chunks {
        let start = index * CHUNK_BYTES;
        let end = (start + CHUNK_BYTES).min(plaintext.len());
        let from = out.len();
        out.extend_from_slice(&plaintext[start..end]);
        let tag = file_key
            .seal_in_place_separate_tag(
                nonce(index as u64, index + 1 == chunks),
                Aad::from(&header),
                &mut out[from..],
            )
            .expect("a chunk is far below ChaCha20-Poly1305's length limit");
        out.extend_from_slice(tag.as_ref());
    }
    Ok(out)
}

/// Opens a sealed file; any damage, reordering or truncation is an error.
pub fn open(key: &PhotoKey, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
    if sealed.len() < HEADER_BYTES + TAG_BYTES || !is_sealed(sealed) {
        return Err(SealError::NotSealed);
    }
    let (header, mut body) = sealed.split_at(HEADER_BYTES);
    let file_key = key.file_key(&header[MAGIC.len()..]);
    let mut out = Vec::with_capacity(body.len());
    let mut index = 0u64;
    loop {
        let last = body.len() <= CHUNK_BYTES + TAG_BYTES;
        let take = if last { body.len() } else { CHUNK_BYTES + TAG_BYTES };
        if take < TAG_BYTES {
            return Err(SealError::Chunk(index));
        }
        let from = out.len();
        out.extend_from_slice(&body[..take]);
        let opened = file_key
            .open_in_place(nonce(index, last), Aad::from(header), &mut out[from..])
            .map_err(|_| SealError::Chunk(index))?
            .len();
        out.truncate(from + opened);
        body = &body[take..];
        if last {
            return Ok(out);
        }
        index += 1;
    }
}

#[cfg(test)]
#[path = "tests_sealed.rs"]
mod tests;
