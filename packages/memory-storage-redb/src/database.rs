//! `Database`: open/create a redb file, begin transactions, close.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use redb::ReadableDatabase;

use crate::errors;
use crate::read::ReadTransaction;
use crate::write::WriteTransaction;

/// Shared by a database and everything opened from it.
pub struct Shared {
    pub db: RwLock<Option<Arc<redb::Database>>>,
    pub closed: AtomicBool,
}

impl Shared {
    pub fn check(&self) -> PyResult<()> {
        if self.closed.load(Ordering::Acquire) {
            return Err(errors::DatabaseClosedError::new_err(
                "the database is closed",
            ));
        }
        Ok(())
    }

    fn handle(&self) -> PyResult<Arc<redb::Database>> {
        self.check()?;
        self.db
            .read()
            .expect("database lock poisoned")
            .clone()
            .ok_or_else(|| errors::DatabaseClosedError::new_err("the database is closed"))
    }
}

/// A redb database file. Opening takes redb's per-process file lock.
#[pyclass(module = "memory_storage_redb._redb", frozen)]
pub struct Database {
    shared: Arc<Shared>,
    durability: redb::Durability,
    durability_name: &'static str,
    path: PathBuf,
}

#[pymethods]
impl Database {
    #[new]
    #[pyo3(signature = (path, *, durability = "immediate", cache_size = None))]
    fn new(
        py: Python<'_>,
        path: PathBuf,
        durability: &str,
        cache_size: Option<usize>,
    ) -> PyResult<Self> {
        let (durability, durability_name) = match durability {
            "immediate" => (redb::Durability::Immediate, "immediate"),
            "none" => (redb::Durability::None, "none"),
            other => {
                return Err(PyValueError::new_err(format!(
                    "durability must be 'immediate' or 'none', got {other:?}"
                )))
            }
        };
        let open_path = path.clone();
        let db = py
            .detach(move || {
                let mut builder = redb::Builder::new();
                if let Some(bytes) = cache_size {
                    builder.set_cache_size(bytes);
                }
                builder.create(open_path)
            })
            .map_err(errors::database)?;
        Ok(Database {
            shared: Arc::new(Shared {
                db: RwLock::new(Some(Arc::new(db))),
                closed: AtomicBool::new(false),
            }),
            durability,
            durability_name,
            path,
        })
    }

    /// The path the database was opened at.
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    /// The durability of write transactions: ``"immediate"`` or ``"none"``.
    #[getter]
    fn durability(&self) -> &'static str {
        self.durability_name
    }

    /// True once :meth:`close` has run.
    #[getter]
    fn closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire)
    }

    /// Begin the (single) write transaction; waits, GIL released, while another is open.
    fn begin_write(&self, py: Python<'_>) -> PyResult<WriteTransaction> {
        let db = self.shared.handle()?;
        let durability = self.durability;
        let txn = py.detach(move || {
            let mut txn = db.begin_write().map_err(errors::transaction)?;
            txn.set_durability(durability)
                .map_err(|e| errors::TransactionError::new_err(e.to_string()))?;
            Ok::<_, PyErr>(txn)
        })?;
        Ok(WriteTransaction::new(self.shared.clone(), txn))
    }

    /// Begin a read transaction: a consistent snapshot of the last commit.
    fn begin_read(&self, py: Python<'_>) -> PyResult<ReadTransaction> {
        let db = self.shared.handle()?;
        let txn = py
            .detach(move || db.begin_read())
            .map_err(errors::transaction)?;
        Ok(ReadTransaction::new(self.shared.clone(), txn))
    }

    /// Close the database and release the file lock. Idempotent.
    ///
    /// Transactions and tables opened from it raise DatabaseClosedError afterwards;
    /// a write transaction still alive keeps the file open until it ends.
    fn close(&self, py: Python<'_>) {
        self.shared.closed.store(true, Ordering::Release);
        let taken = self
            .shared
            .db
            .write()
            .expect("database lock poisoned")
            .take();
        if let Some(db) = taken {
            py.detach(move || drop(db));
        }
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) {
        self.close(py);
    }

    fn __repr__(&self) -> String {
        let state = if self.closed() { "closed" } else { "open" };
        format!(
            "Database({:?}, durability={:?}, {state})",
            self.path, self.durability_name
        )
    }
}
