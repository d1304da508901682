//! The reconciliation rules, on plans read from real import files.

use super::reconcile::{Action, Existing, ExistingDomain, ExistingMailbox, Mode, reconcile};
use crate::csv::{Options, Plan, validate};
use crate::model::ProvisionPlan;

fn plan(csv: &str) -> ProvisionPlan {
    let v = validate(csv.as_bytes(), &Options::default()).unwrap();
    match v.plan {
        Some(Plan::Import(p)) => p,
        other => panic!("not a valid import file: {:?} {other:?}", v.problems),
    }
}

const FILE: &str = "type,domain,address,password,quota_mb,display_name,targets,max_mailboxes,max_aliases
domain,new.test,,,,,,2,
mailbox,,ann@new.test,{PLAIN}pw,100,Ann,,,
alias,,info@new.test,,,,ann@new.test,,
";

fn existing_after_import() -> Existing {
    let mut e = Existing::default();
    e.domains.insert("new.test".into(), ExistingDomain { max_mailboxes: Some(2), ..Default::default() });
    e.mailboxes.insert("ann@new.test".into(), ExistingMailbox { quota_mb: 100, display_name: "Ann".into() });
    e.aliases.insert("info@new.test".into(), vec!["ann@new.test".into()]);
    e
}

#[test]
fn fresh_destination_creates_everything() {
    let r = reconcile(&plan(FILE), &Existing::default(), Mode::CreateOnly);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert!(r.rows.iter().all(|o| o.action == Action::Create));
    assert_eq!(
        (r.changes.create_domains.len(), r.changes.create_mailboxes.len(), r.changes.create_aliases.len()),
        (1, 1, 1)
    );
}

#[test]
fn the_same_file_again_changes_nothing() {
    let r = reconcile(&plan(FILE), &existing_after_import(), Mode::CreateOnly);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert!(r.changes.is_empty());
    assert_eq!(r.rows.len(), 3);
    assert!(r.rows.iter().all(|o| o.action == Action::Unchanged));
}

#[test]
fn differences_are_conflicts_unless_updating() {
    let file = FILE.replace("ann@new.test,{PLAIN}pw,100,Ann", "ann@new.test,{PLAIN}pw,200,Ann");
    let r = reconcile(&plan(&file), &existing_after_import(), Mode::CreateOnly);
    assert_eq!(r.problems.len(), 1);
    assert_eq!(r.problems[0].line, 3);
    assert!(
        r.problems[0]
            .message
            .starts_with("conflict: mailbox ann@new.test already exists with quota 100 MB (file: 200 MB)")
    );
    let r = reconcile(&plan(&file), &existing_after_import(), Mode::Update);
    assert!(r.problems.is_empty());
    assert_eq!(r.changes.update_mailboxes.len(), 1);
}

#[test]
fn destination_rules() {
    let mut e = Existing::default();
    e.domains.insert("old.test".into(), ExistingDomain { max_mailboxes: Some(1), ..Default::default() });
    e.mailboxes.insert("bob@old.test".into(), ExistingMailbox::default());
    e.aliases.insert("loop@old.test".into(), vec!["sales@old.test".into()]);
    let file = "type,domain,address,password,quota_mb,display_name,targets
mailbox,,carl@nowhere.test,{PLAIN}pw,1,,
mailbox,,dan@old.test,{PLAIN}pw,1,,
alias,,bob@old.test,,,,dan@old.test
alias,,sales@old.test,,,,loop@old.test
";
    let options =
        Options { known_domains: ["nowhere.test".to_string(), "old.test".to_string()].into(), ..Default::default() };
    let v = validate(file.as_bytes(), &options).unwrap();
    let Some(Plan::Import(p)) = v.plan else { panic!("{:?}", v.problems) };
    let r = reconcile(&p, &e, Mode::CreateOnly);
    let messages: Vec<(u64, &str)> = r.problems.iter().map(|p| (p.line, p.message.as_str())).collect();
    assert_eq!(
        messages,
        [
            (1, "domain old.test would hold 2 mailboxes; its limit is 1"),
            (2, "the mailbox's domain nowhere.test neither exists on the destination nor is created by this file"),
            (4, "bob@old.test is a mailbox; an alias cannot have its address"),
            (5, "alias loop: sales@old.test → loop@old.test → sales@old.test"),
        ]
    );
}
