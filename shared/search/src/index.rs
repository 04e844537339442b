//! One search index: created on disk (the local stack) or in memory (Lambda), changed in
//! batches, and carried between functions as a bundle (a tar of its files).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock, RwLockReadGuard};
use std::time::Instant;

use bookworm_domain::Error;
use bookworm_domain::ids::BookId;
use bookworm_domain::search::BookCard;
use bookworm_embed::Embedder;
use tantivy::directory::{MmapDirectory, RamDirectory};
use tantivy::{Directory, Index, IndexReader, IndexWriter, ReloadPolicy, Term};

use crate::schema::{self, Fields};
use crate::vectors::{Facts, NewRow, VECTORS_FILE, Vectors, text_hash, text_of};

/// Texts the model runs on at once: big enough to amortise a forward pass, small enough that
/// padding to the longest costs little.
const EMBED_BATCH: usize = 32;

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
    /// The directory itself, where the vectors file is kept beside tantivy's.
    files: Box<dyn Directory>,
    pub(crate) reader: IndexReader,
    pub(crate) fields: Fields,
    /// The model: embeds changed books and queries. Without it the index is keyword-only
    /// (tests of the keyword side, a local stack without `BOOKWORM_MODEL_DIR`).
    pub(crate) embedder: Option<Arc<Embedder>>,
    /// One vector per book, saved beside tantivy's files at every commit.
    pub(crate) vectors: RwLock<Vectors>,
    /// Books run through the model since this index was opened (the rest reused a vector).
    embedded: std::sync::atomic::AtomicU64,
}

impl CatalogIndex {
    /// Opens the index in `dir`, creating an empty one there first if there is none. An index
    /// this code cannot open (another version's schema, damaged files) is derived data: it is
    /// removed and an empty one made, for the caller to rebuild from the catalog.
    pub fn open_or_create(dir: &Path, embedder: Option<Arc<Embedder>>) -> Result<Self, Error> {
        Self::open_or_create_once(dir).and_then(|index| index.with_embedder(embedder.clone())).or_else(|error| {
            tracing::warn!(%error, dir = %dir.display(), "cannot open the search index there; starting a new one");
            std::fs::remove_dir_all(dir).map_err(|e| Error::unavailable("search index folder", e))?;
            Self::open_or_create_once(dir)?.with_embedder(embedder)
        })
    }

    /// Embeds with `embedder` from now on. An index with books but not a vector for each was
    /// built without the model: it must be rebuilt before it can rank by meaning.
    pub fn with_embedder(mut self, embedder: Option<Arc<Embedder>>) -> Result<Self, Error> {
        let vectors = self.vectors.get_mut().map_err(|_| poisoned())?.len() as u64;
        if embedder.is_some() && vectors != self.books() {
            return Err(Error::unavailable(
                "search index",
                format!("has {vectors} vectors for {} books: it must be rebuilt", self.books()),
            ));
        }
        self.embedder = embedder;
        Ok(self)
    }

    /// Books run through the model since the index was opened: a book whose embedded text
    /// did not change keeps its vector and is not counted.
    pub fn books_embedded(&self) -> u64 {
        self.embedded.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Books with a vector.
    pub fn vectors_len(&self) -> Result<usize, Error> {
        Ok(self.vectors()?.len())
    }

    /// Whether queries can be ranked by meaning.
    pub fn has_vectors(&self) -> bool {
        self.embedder.is_some()
    }

    pub(crate) fn vectors(&self) -> Result<RwLockReadGuard<'_, Vectors>, Error> {
        self.vectors.read().map_err(|_| poisoned())
    }

    /// The model, for a query.
    pub(crate) fn embed_query(&self, text: &str) -> Result<Option<Vec<f32>>, Error> {
        let Some(embedder) = &self.embedder else { return Ok(None) };
        embedder.embed_one(text).map(Some).map_err(|e| Error::unavailable("search model", e))
    }

    fn open_or_create_once(dir: &Path) -> Result<Self, Error> {
        std::fs::create_dir_all(dir).map_err(|e| Error::unavailable("search index folder", e))?;
        let directory = MmapDirectory::open(dir).map_err(|e| Error::unavailable("search index folder", e))?;
        let (schema, _) = schema::schema();
        Self::wrap(Index::open_or_create(directory.clone(), schema).map_err(failed)?, Box::new(directory))
    }

    /// An empty index in memory.
    pub fn in_memory() -> Result<Self, Error> {
        let directory = RamDirectory::create();
        let index =
            Index::create(directory.clone(), schema::schema().0, Default::default()).map_err(failed)?;
        Self::wrap(index, Box::new(directory))
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
        Self::wrap(Index::open(directory.clone()).map_err(failed)?, Box::new(directory))
    }

    /// Only the vectors of a bundle (empty when it has none): what a rebuild reuses, without
    /// opening the tantivy index (which may be of a schema this code cannot open).
    pub fn vectors_of_bundle(bundle: &[u8]) -> Result<Vectors, Error> {
        let bad = |e: std::io::Error| Error::unavailable("search index bundle", e);
        let mut archive = tar::Archive::new(bundle);
        for entry in archive.entries().map_err(bad)? {
            let mut entry = entry.map_err(bad)?;
            if entry.path().map_err(bad)?.as_os_str() != VECTORS_FILE {
                continue;
            }
            if entry.size() > BUNDLE_MAX {
                return Err(bad(std::io::Error::other("vectors larger than 2 GiB")));
            }
            let mut data = Vec::with_capacity(entry.size() as usize);
            entry.read_to_end(&mut data).map_err(bad)?;
            return Vectors::decode(&data);
        }
        Ok(Vectors::default())
    }

    /// `files` is the index's own directory, not tantivy's managed view of it: a file written
    /// through that view is garbage-collected at the next commit unless a segment uses it.
    fn wrap(index: Index, files: Box<dyn Directory>) -> Result<Self, Error> {
        schema::register(&index);
        let (schema, fields) = schema::schema();
        if index.schema() != schema {
            return Err(Error::unavailable(
                "search index",
                "was built with another schema: it must be rebuilt",
            ));
        }
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into().map_err(failed)?;
        let vectors = match files.atomic_read(Path::new(VECTORS_FILE)) {
            Ok(bytes) => Vectors::decode(&bytes)?,
            Err(tantivy::directory::error::OpenReadError::FileDoesNotExist(_)) => Vectors::default(),
            Err(e) => return Err(Error::unavailable("search index vectors", e)),
        };
        Ok(Self {
            index,
            files,
            reader,
            fields,
            embedder: None,
            vectors: RwLock::new(vectors),
            embedded: Default::default(),
        })
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
        self.commit(writer, changes, false, None)
    }

    /// Replaces everything with `cards`, in one commit (rolled back on failure). A book whose
    /// embedded text is unchanged keeps the vector this index has for it.
    pub fn rebuild(&self, writer: &mut IndexWriter, cards: &[BookCard]) -> Result<(), Error> {
        self.commit(writer, &Changes { upserts: cards.to_vec(), deletes: Vec::new() }, true, None)
    }

    /// Replaces everything with `cards` (one commit, merges settled), taking the vector of every
    /// book whose embedded text is unchanged from `donor` (the version being replaced) instead
    /// of running the model: a rebuild embeds only new and changed books.
    pub fn rebuild_reusing(&self, cards: Vec<BookCard>, donor: &Vectors) -> Result<(), Error> {
        let mut writer = self.writer()?;
        self.commit(&mut writer, &Changes { upserts: cards, deletes: Vec::new() }, true, Some(donor))?;
        writer.wait_merging_threads().map_err(failed)?;
        self.reader.reload().map_err(failed)
    }

    fn commit(
        &self,
        writer: &mut IndexWriter,
        changes: &Changes,
        replace_all: bool,
        donor: Option<&Vectors>,
    ) -> Result<(), Error> {
        // Embedded first: a model failure leaves the index as it was.
        let vectors = self.next_vectors(changes, replace_all, donor)?;
        let staged = self
            .stage(writer, changes, replace_all)
            .and_then(|()| self.save_vectors(&vectors))
            .and_then(|()| writer.commit().map(drop).map_err(failed));
        if let Err(error) = staged {
            if let Err(rollback) = writer.rollback() {
                tracing::error!(%rollback, "could not roll the search index writer back");
            }
            // The file may hold the new vectors: put the ones in memory back.
            self.save_vectors(&*self.vectors()?)?;
            return Err(error);
        }
        *self.vectors.write().map_err(|_| poisoned())? = vectors;
        self.reader.reload().map_err(failed)
    }

    /// The vectors after `changes`: a book whose text did not change keeps its vector (this
    /// index's, or `donor`'s when given), the others are embedded. Without a model the touched
    /// books lose theirs (never a stale one).
    fn next_vectors(
        &self,
        changes: &Changes,
        replace_all: bool,
        donor: Option<&Vectors>,
    ) -> Result<Vectors, Error> {
        let own = self.vectors()?;
        let current: &Vectors = donor.unwrap_or(&*own);
        let mut next = if replace_all { Vectors::default() } else { own.clone() };
        for id in &changes.deletes {
            next.remove(*id);
        }
        let Some(embedder) = &self.embedder else {
            changes.upserts.iter().for_each(|card| next.remove(card.id));
            return Ok(next);
        };
        let mut missing = Vec::new();
        for card in &changes.upserts {
            let text = text_of(card);
            let hash = text_hash(&text);
            match current.reusable(card.id, hash) {
                Some(vector) => next.insert(NewRow {
                    id: card.id,
                    text_hash: hash,
                    facts: Facts::of(card),
                    vector: vector.to_vec(),
                }),
                None => missing.push((card, text, hash)),
            }
        }
        drop(own);
        let started = Instant::now();
        for batch in missing.chunks(EMBED_BATCH) {
            let texts: Vec<&str> = batch.iter().map(|(_, text, _)| text.as_str()).collect();
            let embedded = embedder.embed(&texts).map_err(|e| Error::unavailable("search model", e))?;
            for ((card, _, hash), vector) in batch.iter().zip(embedded) {
                next.insert(NewRow { id: card.id, text_hash: *hash, facts: Facts::of(card), vector });
            }
        }
        self.embedded.fetch_add(missing.len() as u64, std::sync::atomic::Ordering::Relaxed);
        if !missing.is_empty() {
            tracing::info!(
                embedded = missing.len(),
                reused = changes.upserts.len() - missing.len(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "embedded books"
            );
        }
        Ok(next)
    }

    fn save_vectors(&self, vectors: &Vectors) -> Result<(), Error> {
        self.files
            .atomic_write(Path::new(VECTORS_FILE), &vectors.encode())
            .map_err(|e| Error::unavailable("search index vectors", e))
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
        files.push(PathBuf::from(VECTORS_FILE));
        let mut archive = tar::Builder::new(Vec::new());
        let bad = |e: std::io::Error| Error::unavailable("search index bundle", e);
        for path in files {
            let data = match self.files.atomic_read(&path) {
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

fn poisoned() -> Error {
    Error::unavailable("search index", "a writer panicked")
}

pub(crate) fn failed(error: tantivy::TantivyError) -> Error {
    Error::unavailable("search index", error)
}
