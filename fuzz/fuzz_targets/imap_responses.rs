//! Fuzz target: see `mailferry::fuzz::imap_responses`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mailferry::fuzz::imap_responses(data));
