//! What `template.yaml` gives each function: the environment variables it sets (the globals and the function's
//! own) and the AWS services its policy's actions name. Read as text, by indentation (the template's intrinsic
//! tags make a YAML library's job harder than this): the local bridge builds each function from exactly its
//! environment, and a test compares each policy with the ports the function holds.

use std::collections::BTreeSet;

fn template() -> String {
    std::fs::read_to_string(crate::workspace_root().join("template.yaml")).expect("template.yaml")
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The lines of the block that starts at the line `header` (exactly, after trimming) with its indentation.
fn block(lines: &[String], header: &str, at_indent: usize) -> Vec<String> {
    let start = lines
        .iter()
        .position(|l| l.trim_end() == format!("{}{header}", " ".repeat(at_indent)))
        .unwrap_or_else(|| panic!("template.yaml has no {header:?} at indentation {at_indent}"));
    lines[start + 1..].iter().take_while(|l| l.trim().is_empty() || indent(l) > at_indent).cloned().collect()
}

/// The names under the first `Variables:` of `lines`.
fn variables(lines: &[String]) -> Vec<String> {
    let Some(at) = lines.iter().position(|l| l.trim() == "Variables:") else { return Vec::new() };
    let depth = indent(&lines[at]);
    lines[at + 1..]
        .iter()
        .take_while(|l| indent(l) > depth)
        .filter(|l| indent(l) == depth + 2)
        .filter_map(|l| l.trim().split_once(':').map(|(name, _)| name.to_string()))
        .collect()
}

fn lines() -> Vec<String> {
    template().lines().map(str::to_string).collect()
}

/// The environment variables the template gives the function `logical_id` (e.g. `CopyFunction`).
pub fn environment(logical_id: &str) -> BTreeSet<String> {
    let all = lines();
    let mut names: BTreeSet<String> = variables(&block(&all, "Globals:", 0)).into_iter().collect();
    names.extend(variables(&block(&all, &format!("{logical_id}:"), 2)));
    names
}

/// The services (`dynamodb`, `sqs`, `s3`, …) of the actions in the policies of `logical_id`.
pub fn policy_services(logical_id: &str) -> BTreeSet<String> {
    let function = block(&lines(), &format!("{logical_id}:"), 2);
    let policies = block(&function, "Policies:", 6);
    let mut services = BTreeSet::new();
    let mut in_list = None;
    for line in &policies {
        let text = line.trim();
        let value = if let Some(rest) = text.strip_prefix("Action:").or_else(|| text.strip_prefix("- Action:")) {
            in_list = Some(indent(line));
            rest.to_string()
        } else if in_list.is_some_and(|depth| indent(line) > depth) && text.starts_with("- ") {
            text[2..].to_string()
        } else {
            in_list = None;
            continue;
        };
        for action in value.split([',', '[', ']', ' ']).filter(|a| a.contains(':')) {
            services.insert(action.split(':').next().unwrap_or_default().to_string());
        }
    }
    services
}
