//! Deterministic noise: one keyed hash (the splitmix64 finaliser) and the numbers made from it.
//!
//! Owns the hash the sample packages are generated with (grids and components: their bytes
//! depend on it, so its output must never change) and that the reference platform's fault mode
//! draws its per-request decisions from. It is not a random number generator (seeded
//! sequences come from the `fastrand` crate) and it is not for anything secret.

/// A well-mixed 64-bit hash of `(a, b, salt)`: splitmix64's finaliser over a combined key.
/// Different salts give independent streams over the same keys.
pub fn hash(a: u64, b: u64, salt: u64) -> u64 {
    let mut z = a
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(b.wrapping_mul(0xC2B2_AE3D_27D4_EB4F))
        .wrapping_add(salt.wrapping_mul(0x1656_67B1_9E37_79F9));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A number in [0, 1) from a hash (its top 53 bits).
pub fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// A number in [-1, 1) from a hash (its top 53 bits).
pub fn signed_unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_output_is_frozen() {
        // The sample packages' bytes are made from these values: a change here changes them.
        assert_eq!(hash(0, 0, 0), 0);
        assert_eq!(hash(1, 0, 0), 0xE220_A839_7B1D_CDAF);
        assert_eq!(hash(3, 7, 2), hash(3, 7, 2));
        assert_ne!(hash(3, 7, 1), hash(3, 7, 2));
        assert_ne!(hash(3, 7, 1), hash(7, 3, 1));
    }

    #[test]
    fn units_stay_in_their_ranges() {
        for h in [
            0,
            1,
            u64::MAX,
            u64::MAX >> 1,
            0x8000_0000_0000_0000,
            hash(5, 5, 5),
        ] {
            assert!((0.0..1.0).contains(&unit(h)), "unit({h:#x})");
            assert!((-1.0..1.0).contains(&signed_unit(h)), "signed_unit({h:#x})");
        }
        assert_eq!(unit(0), 0.0);
        assert_eq!(signed_unit(0), -1.0);
    }
}
