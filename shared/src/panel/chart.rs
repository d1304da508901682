//! The job page's throughput: messages copied per minute of the pass shown, as a small SVG bar chart with its
//! text alternative (the summary in the chart's `<desc>` and under it, every minute in a table one click away),
//! and an estimate of the time left that says what it rests on, or that there is none.

use super::pages::esc;
use crate::stages::JobProgress;
use crate::stages::rate::Minute;
use chrono::DateTime;

/// Minutes the chart spans (the latest ones).
const SPAN: i64 = 60;
const WIDTH: i64 = 600;
const HEIGHT: u64 = 100;

fn at(minute: i64) -> String {
    DateTime::from_timestamp(minute.saturating_mul(60), 0).map_or_else(String::new, |t| t.format("%H:%M").to_string())
}

/// The estimate, or why there is none.
pub fn eta(p: &JobProgress) -> String {
    p.eta_text().map_or_else(String::new, |t| {
        let mut t = esc(&t);
        t[..1].make_ascii_uppercase();
        format!("<p id=\"eta\">{t}.</p>")
    })
}

/// The chart and its text alternative.
pub fn throughput(p: &JobProgress) -> String {
    let Some(last) = p.throughput.last().map(|m| m.minute) else {
        return "<p>Nothing copied in this pass yet: no throughput to show.</p>".to_string();
    };
    let first = last - SPAN + 1;
    let by_minute = |t: i64| p.throughput.iter().find(|m| m.minute == t).copied();
    let minutes: Vec<Minute> =
        (first..=last).map(|t| by_minute(t).unwrap_or(Minute { minute: t, messages: 0, bytes: 0 })).collect();
    let peak = minutes.iter().map(|m| m.messages).max().unwrap_or(0).max(1);
    let (total, bytes) = minutes.iter().fold((0u64, 0u64), |(n, b), m| (n + m.messages, b + m.bytes));
    let busy = minutes.iter().filter(|m| m.messages > 0).count();
    let summary = format!(
        "From {} to {} UTC: {total} message(s), {:.1} MB, copied in {busy} of {SPAN} minute(s); at most {peak} a \
         minute.",
        at(first),
        at(last),
        bytes as f64 / 1e6
    );
    let step = WIDTH / SPAN;
    let (mut bars, mut rows) = (String::new(), String::new());
    for (i, m) in minutes.iter().enumerate() {
        let h = (m.messages * HEIGHT).div_ceil(peak);
        if m.messages > 0 {
            bars.push_str(&format!(
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{h}\" fill=\"#0b3d5c\"><title>{} UTC: {} message(s)\
                 </title></rect>",
                i as i64 * step,
                HEIGHT - h,
                step - 1,
                at(m.minute),
                m.messages
            ));
            rows.push_str(&format!(
                "<tr><td>{} UTC</td><td>{}</td><td>{:.1}</td></tr>",
                at(m.minute),
                m.messages,
                m.bytes as f64 / 1e6
            ));
        }
    }
    format!(
        "<figure><svg role=\"img\" aria-labelledby=\"chart-title chart-desc\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" \
         width=\"{WIDTH}\" height=\"{HEIGHT}\" class=\"chart\"><title id=\"chart-title\">Messages copied per minute\
         </title><desc id=\"chart-desc\">{summary}</desc><line x1=\"0\" y1=\"{HEIGHT}\" x2=\"{WIDTH}\" y2=\"{HEIGHT}\" \
         stroke=\"#767676\"/>{bars}</svg><figcaption>{}</figcaption></figure><details><summary>Minute by minute\
         </summary><table><caption>Messages copied per minute</caption><thead><tr><th scope=\"col\">Minute</th><th \
         scope=\"col\">Messages</th><th scope=\"col\">MB</th></tr></thead><tbody>{rows}</tbody></table></details>",
        esc(&summary)
    )
}
