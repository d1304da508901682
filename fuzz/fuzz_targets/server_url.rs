//! Fuzz target: see `mailferry::fuzz::server_url`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mailferry::fuzz::server_url(data));
