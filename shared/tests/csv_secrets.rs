//! Secrets read from a CSV never come back out: not in problems, summaries, `Debug` output or JSON.

use mailferry::csv::{Options, validate};

const SECRETS: &[&str] = &["Hunter2-Secret!", "Master-Secret-77", "ya29.OAUTH-SECRET", "$6$NotShownSalt$NotShownHash"];

#[test]
fn no_secret_in_any_output_of_validation() {
    let text = "destination,source_host,source_port,security,auth,password,master_user,master_password,provider,oauth_token\n\
        ann@example.com,mail.old.test,70000,tls,password,Hunter2-Secret!,,,imap,\n\
        bob@example.com,mail.old.test,993,bogus,master,,admin,Master-Secret-77,imap,\n\
        carla@example.com,,993,tls,oauth2,,,,imap,ya29.OAUTH-SECRET\n\
        dan@example.com,mail.old.test,993,tls,password,Hunter2-Secret!,,,imap,\n";
    let import = "type,domain,address,password,quota_mb\ndomain,example.com,,,\n\
        mailbox,,ann@example.com,{SHA512-CRYPT}$6$NotShownSalt$NotShownHash,big\n\
        mailbox,,bob@example.com,{MD4}Hunter2-Secret!,1\n\
        mailbox,,carla@example.com,Hunter2-Secret!,1\n";
    for text in [text, import] {
        let v = validate(text.as_bytes(), &Options::default()).unwrap();
        assert!(v.error_count() > 0);
        let outputs = [
            format!("{:?}", v),
            v.summary(),
            v.problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"),
            serde_json::to_string(&v.problems).unwrap(),
        ];
        for out in &outputs {
            for s in SECRETS {
                assert!(!out.contains(s), "secret {s:?} leaked into: {out}");
            }
        }
    }
    // A valid file's plan holds the secrets, but its Debug form shows only ****.
    let ok = "destination,source_host,password\nann@example.com,mail.old.test,Hunter2-Secret!\n";
    let v = validate(ok.as_bytes(), &Options::default()).unwrap();
    assert!(v.is_valid());
    let debug = format!("{:?}", v.plan);
    assert!(!debug.contains("Hunter2-Secret!") && debug.contains("****"), "{debug}");
}
