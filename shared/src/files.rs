//! Replacing a file that holds secrets (uploads, passwd-files): the bytes go to a fresh temporary file beside it,
//! created with `O_CREAT|O_EXCL|O_NOFOLLOW` under an unpredictable name (no planted symlink or file can redirect
//! or pre-open it), given its mode and owner before any byte is written, synced, and renamed into place (a
//! reader sees the old file or the new one, never half of one). The temporary file is removed on failure.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Whether a file name is one of [`replace_file`]'s temporary files (`NAME.tmp.<32 hex digits>`).
pub fn is_temporary(name: &str) -> bool {
    name.rsplit_once(".tmp.").is_some_and(|(_, id)| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Write `bytes` as `path` with `mode` (and `owner` when given and allowed: only root can give a file away).
pub fn replace_file(path: &Path, bytes: &[u8], mode: u32, owner: Option<(u32, u32)>) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp.{}", uuid::Uuid::new_v4().simple()));
    let tmp = std::path::PathBuf::from(tmp);
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&tmp)?;
        if let Some((uid, gid)) = owner {
            match std::os::unix::fs::fchown(&f, Some(uid), Some(gid)) {
                Err(e) if e.raw_os_error() == Some(libc::EPERM) => {}
                other => other?,
            }
        }
        f.set_permissions(std::fs::Permissions::from_mode(mode))?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_with_mode_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users");
        replace_file(&path, b"one\n", 0o640, None).unwrap();
        replace_file(&path, b"two\n", 0o640, None).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two\n");
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o640);
        let names: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        assert_eq!(names, ["users"]);
        assert!(is_temporary(&format!("users.tmp.{}", uuid::Uuid::new_v4().simple())));
        assert!(!is_temporary("report.tmp.csv"));
    }
}
