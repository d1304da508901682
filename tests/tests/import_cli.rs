//! `mailferry import` against a throw-away PostgreSQL: a dry run prints exactly what would be created and changes
//! nothing; the import creates every row; running it again reports every row "already exists, unchanged".

use mailferry_tests::postgres::Postgres;
use std::process::Command;

fn mailferry(args: &[&str]) -> (i32, String) {
    let bin = std::env::current_exe().unwrap().parent().and_then(|d| d.parent()).unwrap().join("mailferry");
    let out = Command::new(bin).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn dry_run_import_and_reimport() {
    let pg = Postgres::start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("accounts.csv");
    let mut csv = String::from(
        "type,domain,address,password,quota_mb,display_name,targets,max_mailboxes\ndomain,bulk.test,,,,,,1000\n",
    );
    for i in 0..300 {
        csv.push_str(&format!("mailbox,,user{i}@bulk.test,pass-{i}-secret,{},User {i},,\n", 100 + i));
    }
    for i in 0..20 {
        csv.push_str(&format!("alias,,team{i}@bulk.test,,,,user{i}@bulk.test|user{}@bulk.test,\n", i + 1));
    }
    std::fs::write(&file, csv).unwrap();
    let (f, target) = (file.to_str().unwrap(), pg.url());

    let (code, out) = mailferry(&["import", f, "--target", &target, "--dry-run"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("line 2: domain bulk.test: would create"));
    assert!(out.contains("line 302: mailbox user299@bulk.test: would create"));
    assert!(out.contains("line 322: alias team19@bulk.test: would create"));
    assert!(out.contains("dry run: 321 created, 0 updated, 0 unchanged"), "{out}");
    assert_eq!(pg.psql("mail", "SELECT count(*) FROM mailbox").trim(), "0", "a dry run changes nothing");

    let state = dir.path().join("state");
    let s = state.to_str().unwrap();
    let (code, out) =
        mailferry(&["import", f, "--target", &target, "--state", s, "--tenant", "acme", "--by", "ops-anna"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("imported: 321 created, 0 updated, 0 unchanged"), "{out}");
    // Usage for billing: what was created, by whom; mailboxes and reserved quota per domain per day.
    let today = chrono::Utc::now().date_naive().to_string();
    let (code, csv) = mailferry(&["usage", "--state", s, "--tenant", "acme", "--until", &today]);
    assert_eq!(code, 0, "{csv}");
    let quota: u64 = (100..400).sum();
    assert_eq!(csv, format!("date,domain,mailboxes,reserved_quota_mb\n{today},bulk.test,300,{quota}\n"));
    let (_, records) = mailferry(&["usage", "--state", s, "--tenant", "acme", "--records"]);
    assert_eq!(records.lines().count(), 1 + 321);
    assert!(
        records
            .lines()
            .nth(2)
            .unwrap()
            .contains(",ops-anna,accounts.csv,mailbox,user0@bulk.test,bulk.test,100,created"),
        "{records}"
    );
    let (_, other) = mailferry(&["usage", "--state", s, "--tenant", "other", "--until", &today]);
    assert_eq!(other, "date,domain,mailboxes,reserved_quota_mb\n", "tenants are separate");
    assert!(!out.contains("pass-1-secret"));
    assert_eq!(
        pg.psql("mail", "SELECT count(*), sum(quota) FROM mailbox").trim(),
        format!("300|{}", (100..400).sum::<i64>() * 1024 * 1024)
    );
    assert_eq!(pg.psql("mail", "SELECT count(*) FROM alias WHERE address <> goto").trim(), "20");

    let (code, out) = mailferry(&["import", f, "--target", &target, "--state", s, "--tenant", "acme"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.matches("already exists, unchanged").count(), 321);
    let (_, records) = mailferry(&["usage", "--state", s, "--tenant", "acme", "--records"]);
    assert_eq!(records.lines().count(), 1 + 321, "an unchanged re-import records nothing");
    assert!(out.contains("nothing to do: 0 created, 0 updated, 321 unchanged"), "{out}");
}
