//! A fast hasher for the gateway's internal maps (schema names, field groups,
//! representations): their keys are short and not chosen by an attacker, so the flood
//! resistance of the standard SipHash buys nothing there and costs a large share of a
//! lookup. Multiply-rotate over 8-byte words, as rustc's own FxHash does.

use std::hash::{BuildHasherDefault, Hasher};

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// See the module documentation.
#[derive(Clone, Copy, Default)]
pub(crate) struct FastHasher(u64);

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u8(&mut self, value: u8) {
        self.add(u64::from(value));
    }

    #[inline]
    fn write_u64(&mut self, value: u64) {
        self.add(value);
    }

    #[inline]
    fn write_usize(&mut self, value: usize) {
        self.add(value as u64);
    }
}

/// Builds [`FastHasher`]s.
pub(crate) type FastBuild = BuildHasherDefault<FastHasher>;

/// A `HashMap` with the fast hasher.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, FastBuild>;

/// A `HashSet` with the fast hasher.
pub(crate) type FastSet<K> = std::collections::HashSet<K, FastBuild>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn different_keys_hash_differently_and_equal_keys_alike() {
        let hash = |key: &str| {
            let mut hasher = FastHasher::default();
            std::hash::Hash::hash(key, &mut hasher);
            hasher.finish()
        };
        assert_eq!(hash("workers"), hash("workers"));
        assert_ne!(hash("workers"), hash("worker"));
        assert_ne!(hash("abcdefgh1"), hash("abcdefgh2"));
        let mut map: FastMap<String, usize> = FastMap::default();
        map.insert("Unit".to_string(), 1);
        assert_eq!(map.get("Unit"), Some(&1));
    }
}
