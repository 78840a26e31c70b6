//! Files and directories only the server's user may read: credentials, keys and the store.

use std::io;
use std::path::Path;

/// Write `contents` to `path`, creating the file with mode 0600 so it is never readable by
/// others, not even between creation and a later `chmod`; an existing file is narrowed to 0600.
pub fn write_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    restrict(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// Narrow an existing file or directory we own to the owner (0600 for files, 0700 for
/// directories).
pub fn restrict(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if path.is_dir() { 0o700 } else { 0o600 };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Create `dir` (and its parents) if it does not exist; a directory created here is made
/// owner-only (0700). An existing directory keeps its mode: it may be shared (`--data-dir .`).
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    restrict(dir)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn files_and_new_directories_are_owner_only() {
        let tmp = tempfile::tempdir().unwrap();
        let shared = tmp.path();
        std::fs::set_permissions(shared, std::fs::Permissions::from_mode(0o755)).unwrap();
        create_private_dir(shared).unwrap();
        assert_eq!(mode(shared), 0o755, "an existing directory keeps its mode");
        let dir = shared.join("a/b");
        create_private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        let file = dir.join("key");
        std::fs::write(&file, "old").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&file, b"secret").unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "secret");
        let new = dir.join("new");
        write_private(&new, b"x").unwrap();
        assert_eq!(mode(&new), 0o600);
    }
}
