//! The one pseudo-random generator of the tests and benchmarks: xorshift64*, seeded, no
//! dependency. A failing seed reproduces exactly.
//!
//! [`Rng::new`] mixes a small seed (a loop index) into a well-spread odd state;
//! [`Rng::from_state`] takes the state as is (tests seeded with a fixed constant).
#![allow(dead_code)]

/// xorshift64* (Vigna): 64 bits of state, never zero.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for a small seed such as a loop index (0 included).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    /// A generator whose state is `state` (must not be zero).
    pub fn from_state(state: u64) -> Rng {
        assert_ne!(state, 0, "xorshift64* state must not be zero");
        Rng(state)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform-ish in `0..n` (`0` when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// [`below`](Self::below) for lengths and indices.
    pub fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    pub fn byte(&mut self) -> u8 {
        self.next() as u8
    }

    /// True with probability `permille`/1000.
    pub fn chance(&mut self, permille: u64) -> bool {
        self.below(1000) < permille
    }

    /// One element of `v` (`""` when it is empty).
    pub fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v.get(self.index(v.len())).copied().unwrap_or("")
    }
}
