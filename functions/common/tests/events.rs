//! Every sample event in `events/` (for `sam local invoke -e` and `cargo lambda invoke --data-file`) is accepted
//! by what its handler parses it with: the SQS envelope, then the S3 notification, task, schedule input or
//! pass event inside.

use aws_lambda_events::event::sqs::SqsEvent;
use mailferry::model::Pass;
use mailferry::stages::{PassEvent, ScheduleInput, Task, parse_s3_event};
use std::path::PathBuf;

fn event(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn bodies(name: &str) -> Vec<String> {
    let e: SqsEvent = serde_json::from_str(&event(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(!e.records.is_empty(), "{name} has no records");
    e.records.into_iter().map(|r| r.body.unwrap_or_default()).collect()
}

#[test]
fn every_sample_event_is_accepted() {
    let mut seen = 0;
    for (name, key) in [
        ("upload-s3-put-migration.json", "migrations/acme/batch 1.csv"),
        ("upload-s3-put-import.json", "imports/acme/accounts.csv"),
        ("upload-s3-put-migration-moto.json", "migrations/acme/batch 2.csv"),
    ] {
        let keys: Vec<String> = bodies(name).iter().flat_map(|b| parse_s3_event(b).unwrap()).map(|(_, k)| k).collect();
        assert_eq!(keys, [key], "{name}");
        seen += 1;
    }
    for (name, pass) in [("schedule-initial.json", Pass::Initial), ("schedule-final.json", Pass::Final)] {
        let input: ScheduleInput = serde_json::from_str(&event(name)).unwrap();
        assert_eq!(input.pass, pass, "{name}");
        seen += 1;
    }
    assert!(matches!(Task::parse(&bodies("copy-mailbox-task.json")[0]).unwrap(), Task::Mailbox { .. }));
    let Task::Folder(spec) = Task::parse(&bodies("copy-folder-task.json")[0]).unwrap() else {
        panic!("not a folder task")
    };
    assert_eq!((spec.folder.source_wire.as_str(), spec.folder.dest_wire.as_str()), ("INBOX.Sent Items", "Sent"));
    let e: PassEvent = serde_json::from_str(&bodies("notifier-pass-complete.json")[0]).unwrap();
    assert_eq!(e.pass, Pass::Initial);
    seen += 3;
    let files = std::fs::read_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events"))
        .unwrap()
        .filter(|e| e.as_ref().is_ok_and(|e| e.path().extension().is_some_and(|x| x == "json")))
        .count();
    assert_eq!(seen, files, "every events/*.json file is covered here");
}
