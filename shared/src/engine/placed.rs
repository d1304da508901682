//! Gmail placement inside one folder copy (see [`crate::imap::gmail`]): which listed messages this folder leaves
//! to other folders, and the checkpoint's count of them, advanced exactly as the checkpoint passes their UIDs —
//! so a copy interrupted and resumed any number of times counts each once, and the folder's count check
//! (destination against source) expects them absent. Also the keyword Important becomes.

use crate::imap::gmail::{IMPORTANT_KEYWORD, is_important};
use crate::imap::plan::FolderPlan;
use crate::imap::{Flag, Keyword, MessageMeta};
use crate::model::{Checkpoint, Uid};

/// Listed messages left to other folders and not yet passed by the checkpoint: UID and whether the message
/// carries several labels with folders. Sorted by UID.
#[derive(Default)]
pub(super) struct Placed {
    left: Vec<(Uid, bool)>,
}

impl Placed {
    /// Take out of `metas` what this folder leaves to other folders (nothing unless the source is Gmail), and give
    /// the rest the keyword Important becomes.
    pub(super) fn sort_out(plan: &FolderPlan, metas: &mut Vec<MessageMeta>) -> Placed {
        let Some(place) = &plan.gmail else { return Placed::default() };
        let mut left = Vec::new();
        let important = Keyword::new(IMPORTANT_KEYWORD).map(Flag::Keyword);
        metas.retain_mut(|m| {
            if !place.takes(&m.labels) {
                left.push((m.uid, place.label.is_none() && place.several(&m.labels)));
                return false;
            }
            if let Some(k) = important.as_ref().filter(|k| is_important(&m.labels) && !m.flags.contains(k)) {
                m.flags.push(k.clone());
            }
            true
        });
        if !left.is_empty() {
            tracing::info!(folder = %plan.path, left = left.len(), "messages left to their labels' folders");
        }
        Placed { left }
    }

    /// Count into `cp` what the checkpoint now passes: the messages up to `upto` (all when `None`). Returns the
    /// highest UID counted.
    pub(super) fn pass(&mut self, cp: &mut Checkpoint, upto: Option<Uid>) -> Option<Uid> {
        let n = upto.map_or(self.left.len(), |u| self.left.partition_point(|(uid, _)| *uid <= u));
        let passed: Vec<(Uid, bool)> = self.left.drain(..n).collect();
        cp.elsewhere += passed.len() as u64;
        cp.several_labels += passed.iter().filter(|(_, several)| *several).count() as u64;
        passed.last().map(|(uid, _)| *uid)
    }
}
