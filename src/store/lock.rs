//! The store's write lock: an in-process `Mutex` (so tasks of one process queue up) plus an
//! exclusive `File::lock` on `{root}/.lock` (so a `desi-city serve` and a `desi-city fetch` queue
//! up too). Every read-modify-write of `manifest.json` or `status.json` happens while holding it.
//!
//! The lock is advisory and released by the OS when the process dies, so a crash never leaves the
//! store locked. This module must not be used by readers: they read whole files replaced by rename.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The lock file and the in-process mutex guarding it.
#[derive(Debug)]
pub(super) struct StoreLock {
    file: Mutex<File>,
}

/// Proof that this thread holds the store's write lock; releases it on drop.
#[derive(Debug)]
pub(super) struct LockGuard<'a> {
    file: MutexGuard<'a, File>,
}

impl StoreLock {
    /// Opens (creating if needed) the lock file; does not lock it.
    pub(super) fn open(path: &Path) -> io::Result<StoreLock> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        Ok(StoreLock {
            file: Mutex::new(file),
        })
    }

    /// Blocks until this thread holds both the in-process mutex and the inter-process file lock.
    pub(super) fn acquire(&self) -> io::Result<LockGuard<'_>> {
        // A panic while holding the guard cannot leave the protected files half-written (they are
        // replaced by rename), so a poisoned mutex is safe to take over.
        let file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        file.lock()?;
        Ok(LockGuard { file })
    }
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        if let Err(error) = self.file.unlock() {
            tracing::warn!(%error, "Failed to release the store lock.");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::TryLockError;

    #[test]
    fn another_open_file_cannot_lock_while_the_guard_is_held() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(".lock");
        let lock = StoreLock::open(&path).expect("open");
        let other = File::open(&path).expect("open again");
        {
            let _guard = lock.acquire().expect("acquire");
            assert!(matches!(other.try_lock(), Err(TryLockError::WouldBlock)));
        }
        assert!(other.try_lock().is_ok());
    }
}
