//! One search index: created on disk (the local stack) or in memory (Lambda), changed in
//! batches, and carried between functions as a bundle (a tar of its files).

use std::io::Read;
use std::path::{Path, PathBuf};

use bookworm_domain::Error;
use bookworm_domain::ids::BookId;
use bookworm_domain::search::BookCard;
use tantivy::directory::{MmapDirectory, RamDirectory};
use tantivy::{Directory, Index, IndexReader, IndexWriter, ReloadPolicy, Term};

use crate::schema::{self, Fields};

/// The indexing buffer: tantivy's floor is 15 MB per thread; one thread keeps a Lambda's
/// memory and the local stack's footprint small, and a batch of changes is tiny anyway.
const WRITER_MEMORY: usize = 30_000_000;
/// The file tantivy lists an index's segments in.
const META: &str = "meta.json";
/// The largest bundle accepted: far above a million-book index, far below a hostile one.
const BUNDLE_MAX: u64 = 2 << 30;

/// What a batch of catalog changes does to the index.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Changes {
    /// Books to add or replace, as they are now.
    pub upserts: Vec<BookCard>,
    /// Books that are gone (deleted, or never existed).
    pub deletes: Vec<BookId>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.upserts.is_empty() && self.deletes.is_empty()
    }
}

pub struct CatalogIndex {
    pub(crate) index: Index,
    pub(crate) reader: IndexReader,
    pub(crate) fields: Fields,
}

impl CatalogIndex {
    /// Opens the index in `dir`, creating an empty one there first if there is none. An index
    /// this code cannot open (another version's schema, damaged files) is derived data: it is
    /// removed and an empty one made, for the caller to rebuild from the catalog.
    pub fn open_or_create(dir: &Path) -> Result<Self, Error> {
        Self::open_or_create_once(dir).or_else(|error| {
            tracing::warn!(%error, dir = %dir.display(), "cannot open the search index there; starting a new one");
            std::fs::remove_dir_all(dir).map_err(|e| Error::unavailable("search index folder", e))?;
            Self::open_or_create_once(dir)
        })
    }

    fn open_or_create_once(dir: &Path) -> Result<Self, Error> {
        std::fs::create_dir_all(dir).map_err(|e| Error::unavailable("search index folder", e))?;
        let directory = MmapDirectory::open(dir).map_err(|e| Error::unavailable("search index folder", e))?;
        let (schema, _) = schema::schema();
        Self::wrap(Index::open_or_create(directory, schema).map_err(failed)?)
    }

    /// An empty index in memory.
    pub fn in_memory() -> Result<Self, Error> {
        Self::wrap(Index::create_in_ram(schema::schema().0))
    }

    /// An index from a bundle, in memory: no disk, so a Lambda opens it without touching `/tmp`.
    pub fn from_bundle(bundle: &[u8]) -> Result<Self, Error> {
        let directory = RamDirectory::create();
        let mut archive = tar::Archive::new(bundle);
        let bad = |e: std::io::Error| Error::unavailable("search index bundle", e);
        let mut total = 0u64;
        for entry in archive.entries().map_err(bad)? {
            let mut entry = entry.map_err(bad)?;
            let path = entry.path().map_err(bad)?.into_owned();
            // Plain file names only: a bundle never writes outside its own index.
            if path.components().count() != 1 || path.file_name().is_none() {
                return Err(bad(std::io::Error::other(format!("unexpected entry {}", path.display()))));
            }
            total += entry.size();
            if total > BUNDLE_MAX {
                return Err(bad(std::io::Error::other("bundle larger than 2 GiB")));
            }
            let mut data = Vec::with_capacity(entry.size() as usize);
            entry.read_to_end(&mut data).map_err(bad)?;
            directory.atomic_write(&path, &data).map_err(bad)?;
        }
        Self::wrap(Index::open(directory).map_err(failed)?)
    }

    fn wrap(index: Index) -> Result<Self, Error> {
        schema::register(&index);
        let (schema, fields) = schema::schema();
        if index.schema() != schema {
            return Err(Error::unavailable(
                "search index",
                "was built with another schema: it must be rebuilt",
            ));
        }
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into().map_err(failed)?;
        Ok(Self { index, reader, fields })
    }

    /// Books in the index.
    pub fn books(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn writer(&self) -> Result<IndexWriter, Error> {
        self.index.writer_with_num_threads(1, WRITER_MEMORY).map_err(failed)
    }

    /// Applies `changes` in one commit and makes them visible to searches. On failure nothing
    /// is applied: the writer is rolled back, so no queued delete rides on a later commit.
    pub fn apply(&self, writer: &mut IndexWriter, changes: &Changes) -> Result<(), Error> {
        self.commit(writer, changes, false)
    }

    /// Replaces everything with `cards`, in one commit (rolled back on failure).
    pub fn rebuild(&self, writer: &mut IndexWriter, cards: &[BookCard]) -> Result<(), Error> {
        self.commit(writer, &Changes { upserts: cards.to_vec(), deletes: Vec::new() }, true)
    }

    fn commit(&self, writer: &mut IndexWriter, changes: &Changes, replace_all: bool) -> Result<(), Error> {
        let staged =
            self.stage(writer, changes, replace_all).and_then(|()| writer.commit().map(drop).map_err(failed));
        if let Err(error) = staged {
            if let Err(rollback) = writer.rollback() {
                tracing::error!(%rollback, "could not roll the search index writer back");
            }
            return Err(error);
        }
        self.reader.reload().map_err(failed)
    }

    fn stage(&self, writer: &mut IndexWriter, changes: &Changes, replace_all: bool) -> Result<(), Error> {
        if replace_all {
            writer.delete_all_documents().map_err(failed)?;
        }
        for id in changes.deletes.iter().chain(changes.upserts.iter().map(|card| &card.id)) {
            writer.delete_term(Term::from_field_text(self.fields.id, &id.to_string()));
        }
        for card in &changes.upserts {
            let doc =
                schema::document(&self.fields, card).map_err(|e| Error::unavailable("search index", e))?;
            writer.add_document(doc).map_err(failed)?;
        }
        Ok(())
    }

    /// Applies `changes` with a writer of its own, and waits for the merges it starts, so the
    /// files a bundle takes are final.
    pub fn apply_and_settle(&self, changes: &Changes, rebuild: bool) -> Result<(), Error> {
        let mut writer = self.writer()?;
        if rebuild {
            self.rebuild(&mut writer, &changes.upserts)?;
        } else {
            self.apply(&mut writer, changes)?;
        }
        writer.wait_merging_threads().map_err(failed)?;
        self.reader.reload().map_err(failed)
    }

    /// The committed index as one tar: `meta.json` and the files of its live segments.
    pub fn bundle(&self) -> Result<Vec<u8>, Error> {
        let mut files: Vec<PathBuf> =
            self.index.load_metas().map_err(failed)?.list_segment_files().into_iter().collect();
        files.sort();
        files.insert(0, PathBuf::from(META));
        let mut archive = tar::Builder::new(Vec::new());
        let bad = |e: std::io::Error| Error::unavailable("search index bundle", e);
        for path in files {
            let data = match self.index.directory().atomic_read(&path) {
                Ok(data) => data,
                // The list names every file a segment may have; not all exist.
                Err(tantivy::directory::error::OpenReadError::FileDoesNotExist(_)) => continue,
                Err(e) => return Err(Error::unavailable("search index bundle", e)),
            };
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            archive.append_data(&mut header, &path, data.as_slice()).map_err(bad)?;
        }
        archive.into_inner().map_err(bad)
    }
}

pub(crate) fn failed(error: tantivy::TantivyError) -> Error {
    Error::unavailable("search index", error)
}
