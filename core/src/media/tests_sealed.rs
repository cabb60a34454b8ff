use super::*;

fn key() -> PhotoKey {
    PhotoKey::new([7; 32])
}

fn sample(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[test]
fn sealed_files_open_to_the_same_bytes_at_every_length() {
    for len in [
        0,
        1,
        CHUNK_BYTES - 1,
        CHUNK_BYTES,
        CHUNK_BYTES + 1,
        3 * CHUNK_BYTES + 17,
    ] {
        let plain = sample(len);
        let sealed = seal(&key(), &plain).expect("seal");
        assert_eq!(sealed.len(), sealed_len(len), "length of {len}");
        assert!(is_sealed(&sealed));
        if len >= 64 {
            assert!(
                !sealed.windows(64).any(|w| w == &plain[..64]),
                "no plaintext run in the file"
            );
        }
        assert_eq!(open(&key(), &sealed).expect("open"), plain, "round trip of {len}");
    }
}

#[test]
fn flipped_cut_reordered_or_foreign_chunks_are_refused() {
    let plain = sample(3 * CHUNK_BYTES + 100);
    let sealed = seal(&key(), &plain).expect("seal");
    let stride = CHUNK_BYTES + TAG_BYTES;
    // A bit flipped in the second chunk.
    let mut flipped = sealed.clone();
    flipped[HEADER_BYTES + stride + 5] ^= 1;
    assert_eq!(open(&key(), &flipped), Err(SealError::Chunk(1)));
    // Cut at a chunk boundary: the new last chunk was not sealed as the last.
    let cut = &sealed[..HEADER_BYTES + 2 * stride];
    assert_eq!(open(&key(), cut), Err(SealError::Chunk(1)));
    // Cut mid-chunk.
    assert!(open(&key(), &sealed[..sealed.len() - 3]).is_err());
    // Chunks 0 and 1 swapped.
    let mut swapped = sealed[..HEADER_BYTES].to_vec();
    swapped.extend_from_slice(&sealed[HEADER_BYTES + stride..HEADER_BYTES + 2 * stride]);
    swapped.extend_from_slice(&sealed[HEADER_BYTES..HEADER_BYTES + stride]);
    swapped.extend_from_slice(&sealed[HEADER_BYTES + 2 * stride..]);
    assert_eq!(open(&key(), &swapped), Err(SealError::Chunk(0)));
    // A chunk from another file (another salt, so another file key).
    let other = seal(&key(), &plain).expect("seal");
    let mut spliced = sealed.clone();
    spliced[HEADER_BYTES..HEADER_BYTES + stride].copy_from_slice(&other[HEADER_BYTES..HEADER_BYTES + stride]);
    assert_eq!(open(&key(), &spliced), Err(SealError::Chunk(0)));
    // Another key, and plaintext.
    assert_eq!(open(&PhotoKey::new([8; 32]), &sealed), Err(SealError::Chunk(0)));
    assert_eq!(open(&key(), &plain), Err(SealError::NotSealed));
}
