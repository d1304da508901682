//! `mf-corpus`: fill a local test server with the deterministic corpus, or verify two servers hold the same
//! mail. Used by the demo and the benchmark.
//!
//!   mf-corpus fill PORT USER PASSWORD --seed N --messages N [--large BYTES]… [--from I --to J]
//!   mf-corpus verify SOURCE_PORT DEST_PORT USER PASSWORD

use mailferry_tests::{corpus, verify};
use std::process::ExitCode;

fn flag(args: &[String], name: &str) -> Vec<String> {
    args.windows(2).filter(|w| w[0] == name).map(|w| w[1].clone()).collect()
}

fn num(args: &[String], name: &str, default: usize) -> usize {
    flag(args, name).first().map_or(default, |v| v.parse().expect("a number"))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("fill") if args.len() >= 5 => {
            let port: u16 = args[2].parse().expect("port");
            let spec = corpus::Spec {
                seed: num(&args, "--seed", 1) as u64,
                messages: num(&args, "--messages", 1000),
                large: flag(&args, "--large").iter().map(|v| v.parse().expect("bytes")).collect(),
            };
            let mut s = corpus::login(port, &args[3], &args[4]).await;
            let n = corpus::fill(&mut s, &spec, num(&args, "--from", 0)..num(&args, "--to", usize::MAX)).await;
            s.logout().await;
            println!("appended {n} messages");
            ExitCode::SUCCESS
        }
        Some("verify") if args.len() >= 6 => {
            let (sp, dp): (u16, u16) = (args[2].parse().expect("port"), args[3].parse().expect("port"));
            let (src, dst) =
                (verify::digest(sp, &args[4], &args[5]).await, verify::digest(dp, &args[4], &args[5]).await);
            let diffs = verify::compare(&src, &dst, |p| p.to_string());
            for d in &diffs {
                println!("DIFF {d}");
            }
            println!(
                "verified {} folders, {} messages: {}",
                src.len(),
                verify::total(&src),
                if diffs.is_empty() { "identical" } else { "DIFFERENT" }
            );
            if diffs.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
        }
        _ => {
            eprintln!(
                "usage: mf-corpus fill PORT USER PASSWORD [--seed N] [--messages N] [--large BYTES]… | verify SRC_PORT DST_PORT USER PASSWORD"
            );
            ExitCode::from(2)
        }
    }
}
