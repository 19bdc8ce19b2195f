//! Crash-safe file-system primitives for the store: temporary files that remove themselves unless
//! persisted, atomic replacement of a file (temp, `sync_all`, rename, fsync the directory), and the
//! clean-up test that tells a crash leftover from a temporary file another writer is still using.
//!
//! Every temporary file is named `.tmp-{pid}-{random}.{ext}` and holds an exclusive `File::lock`
//! for as long as its writer has it open; the lock dies with the process, so a temporary file that
//! can be locked is a leftover. This module must not know about manifests, Parquet or ids, and must
//! not remove anything but temporary files.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Prefix of every temporary file the store creates.
pub(super) const TEMP_PREFIX: &str = ".tmp-";

/// How many random names to try before giving up on creating a temporary file.
const CREATE_ATTEMPTS: usize = 16;

/// A locked temporary file, removed on drop unless [`TempFile::persist`] renamed it into place.
#[derive(Debug)]
pub(super) struct TempFile {
    path: PathBuf,
    file: File,
    persisted: bool,
}

impl TempFile {
    /// Creates a new, empty, exclusively locked temporary file in `dir`.
    pub(super) fn create(dir: &Path, ext: &str) -> io::Result<TempFile> {
        let mut last_error = None;
        for _ in 0..CREATE_ATTEMPTS {
            let name = format!(
                "{TEMP_PREFIX}{}-{:016x}.{ext}",
                std::process::id(),
                rand::random::<u64>()
            );
            let path = dir.join(name);
            match OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(file) => {
                    let temp = TempFile {
                        path,
                        file,
                        persisted: false,
                    };
                    temp.file.lock()?;
                    return Ok(temp);
                }
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                    last_error = Some(error);
                }
                Err(error) => return Err(error),
            }
        }
        Err(last_error.unwrap_or_else(|| io::Error::other("no free temporary file name")))
    }

    pub(super) fn file(&self) -> &File {
        &self.file
    }

    #[cfg(test)]
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the temporary file to `dest` (replacing it atomically). The caller fsyncs the
    /// directory afterwards. On error the temporary file is removed.
    pub(super) fn persist(mut self, dest: &Path) -> io::Result<()> {
        fs::rename(&self.path, dest)?;
        self.persisted = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.persisted
            && let Err(error) = fs::remove_file(&self.path)
            && error.kind() != io::ErrorKind::NotFound
        {
            tracing::warn!(path = %self.path.display(), %error, "Failed to remove a temporary file.");
        }
    }
}

/// Replaces `dest` (a file in `dir`) with `bytes` so that readers see either the old or the new
/// content, never a mix, whatever instant the process dies at.
pub(super) fn write_atomic(dir: &Path, dest: &Path, bytes: &[u8]) -> io::Result<()> {
    let temp = TempFile::create(dir, "json")?;
    let mut file = temp.file();
    file.write_all(bytes)?;
    file.sync_all()?;
    temp.persist(dest)?;
    sync_dir(dir)
}

/// Makes a rename or a file creation in `dir` durable.
pub(super) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Whether a file name is one of the store's temporary files.
pub(super) fn is_temp_name(name: &str) -> bool {
    name.starts_with(TEMP_PREFIX)
}

/// Removes a temporary file if no live writer holds it. Returns whether it was removed.
pub(super) fn remove_if_stale(path: &Path) -> io::Result<bool> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(error) => return Err(error),
    };
    match file.try_lock() {
        Ok(()) => match fs::remove_file(path) {
            Ok(()) => Ok(true),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(error) => Err(error),
        },
        Err(TryLockError::WouldBlock) => Ok(false),
        Err(TryLockError::Error(error)) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_temp_file_that_is_not_persisted_is_removed_on_drop() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = {
            let temp = TempFile::create(dir.path(), "parquet").expect("create");
            assert!(temp.path().exists());
            temp.path().to_path_buf()
        };
        assert!(!path.exists());
    }

    #[test]
    fn a_temp_file_held_by_a_live_writer_is_not_stale() {
        let dir = tempfile::tempdir().expect("temp dir");
        let temp = TempFile::create(dir.path(), "parquet").expect("create");
        assert!(!remove_if_stale(temp.path()).expect("check"));
        assert!(temp.path().exists());
    }

    #[test]
    fn an_unlocked_temp_file_is_stale_and_removed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(".tmp-1-0000000000000000.parquet");
        fs::write(&path, b"half a file").expect("write");
        assert!(remove_if_stale(&path).expect("check"));
        assert!(!path.exists());
    }

    #[test]
    fn write_atomic_replaces_the_whole_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let dest = dir.path().join("manifest.json");
        write_atomic(dir.path(), &dest, b"{\"a\":1}").expect("first");
        write_atomic(dir.path(), &dest, b"{}").expect("second");
        assert_eq!(fs::read(&dest).expect("read"), b"{}");
        let leftovers = fs::read_dir(dir.path())
            .expect("list")
            .filter_map(|entry| entry.ok())
            .filter(|entry| is_temp_name(&entry.file_name().to_string_lossy()))
            .count();
        assert_eq!(leftovers, 0);
    }
}
