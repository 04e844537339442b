//! The index store in a local folder: the same versions-and-pointer layout as in S3, for the
//! search and indexer functions run locally (`scripts/invoke`) and for tests.
//!
//! ```text
//! <dir>/CURRENT                       the pointer (JSON)
//! <dir>/versions/<version>-<uuid>.tar one file per published version, never rewritten
//! ```
//!
//! The pointer moves under an exclusive file lock, so concurrent publishers (processes or
//! threads) see the same compare-and-swap as S3's conditional write gives. Versions older than
//! the one before the current are removed: a reader that just saw the previous pointer can
//! still fetch it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bookworm_domain::Error;
use bookworm_domain::clock::now_rfc3339;
use bookworm_domain::ports::IndexStore;
use bookworm_domain::search::{IndexPointer, Published};

pub struct FolderIndexStore {
    dir: PathBuf,
}

impl FolderIndexStore {
    pub fn new(dir: impl Into<PathBuf>) -> Result<Self, Error> {
        let dir = dir.into();
        fs::create_dir_all(dir.join("versions")).map_err(io)?;
        Ok(Self { dir })
    }

    fn pointer_path(&self) -> PathBuf {
        self.dir.join("CURRENT")
    }

    fn read_pointer(&self) -> Result<Option<IndexPointer>, Error> {
        match fs::read(self.pointer_path()) {
            Ok(bytes) => {
                let mut pointer: IndexPointer = serde_json::from_slice(&bytes)
                    .map_err(|e| Error::unavailable("search index pointer", e))?;
                pointer.revision = pointer.version.to_string();
                Ok(Some(pointer))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(e)),
        }
    }

    fn prune(&self, current: u64) -> Result<(), Error> {
        for entry in fs::read_dir(self.dir.join("versions")).map_err(io)? {
            let path = entry.map_err(io)?.path();
            if version_of(&path).is_some_and(|v| v + 1 < current) {
                fs::remove_file(&path).map_err(io)?;
            }
        }
        Ok(())
    }
}

fn version_of(path: &Path) -> Option<u64> {
    path.file_name()?.to_str()?.split_once('-')?.0.parse().ok()
}

fn io(error: std::io::Error) -> Error {
    Error::unavailable("search index folder", error)
}

#[async_trait]
impl IndexStore for FolderIndexStore {
    async fn current(&self) -> Result<Option<IndexPointer>, Error> {
        self.read_pointer()
    }

    async fn fetch(&self, pointer: &IndexPointer) -> Result<Vec<u8>, Error> {
        // The object is a file name this store chose; refuse anything that could leave the folder.
        if pointer.object.contains(['/', '\\']) || pointer.object.starts_with('.') {
            return Err(Error::unavailable("search index pointer", "names a file outside the index folder"));
        }
        fs::read(self.dir.join("versions").join(&pointer.object)).map_err(io)
    }

    async fn publish(
        &self,
        bundle: Vec<u8>,
        books: u64,
        replacing: Option<&IndexPointer>,
    ) -> Result<Published, Error> {
        let lock = fs::File::create(self.dir.join("CURRENT.lock")).map_err(io)?;
        lock.lock().map_err(io)?;
        let current = self.read_pointer()?;
        if current.as_ref().map(|p| p.version) != replacing.map(|p| p.version) {
            return Ok(Published::Stale);
        }
        let version = replacing.map_or(1, |p| p.version + 1);
        let object = format!("{version:012}-{}.tar", uuid::Uuid::new_v4());
        let bytes = bundle.len() as u64;
        write_durably(&self.dir.join("versions").join(&object), &bundle)?;
        let mut pointer =
            IndexPointer { version, object, books, bytes, built_at: now_rfc3339(), revision: String::new() };
        let json =
            serde_json::to_vec_pretty(&pointer).map_err(|e| Error::unavailable("search index pointer", e))?;
        write_durably(&self.pointer_path(), &json)?;
        pointer.revision = version.to_string();
        self.prune(version)?;
        Ok(Published::Current(pointer))
    }
}

/// Writes a sibling temporary file, syncs it and renames it over `path`: readers see the old
/// file or the new one, never half of one.
fn write_durably(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let temporary = path.with_extension("partial");
    let mut file = fs::File::create(&temporary).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)?;
    fs::rename(&temporary, path).map_err(io)
}
