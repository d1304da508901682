//! Fuzz target: see `mailferry::fuzz::csv_upload`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mailferry::fuzz::csv_upload(data));
