//! Fuzz target: see `mailferry::fuzz::utf7`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mailferry::fuzz::utf7(data));
