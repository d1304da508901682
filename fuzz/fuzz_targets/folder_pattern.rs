//! Fuzz target: see `mailferry::fuzz::folder_pattern`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mailferry::fuzz::folder_pattern(data));
