//! `ReadTransaction` and its `ReadOnlyTable`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use redb::{ReadableTableMetadata, TableDefinition};

use crate::database::Shared;
use crate::errors;
use crate::write::{collect_range, pairs_to_py};

type Bytes = &'static [u8];

/// A read-only snapshot of the database as of its last commit.
#[pyclass(module = "memory_storage_redb._redb", frozen)]
pub struct ReadTransaction {
    shared: Arc<Shared>,
    closed: Arc<AtomicBool>,
    txn: Mutex<Option<redb::ReadTransaction>>,
}

impl ReadTransaction {
    pub fn new(shared: Arc<Shared>, txn: redb::ReadTransaction) -> Self {
        ReadTransaction {
            shared,
            closed: Arc::new(AtomicBool::new(false)),
            txn: Mutex::new(Some(txn)),
        }
    }
}

#[pymethods]
impl ReadTransaction {
    /// Open the existing table ``name``; raises TableDoesNotExistError if no write created it.
    fn open_table(&self, py: Python<'_>, name: String) -> PyResult<ReadOnlyTable> {
        self.shared.check()?;
        // The lock is taken and released without the GIL, so a thread holding the
        // GIL while it waits for the lock (close()) cannot deadlock with this one.
        let table = py.detach(|| {
            let guard = self.txn.lock().expect("transaction lock poisoned");
            let txn = guard.as_ref().ok_or_else(|| {
                errors::TransactionClosedError::new_err("the read transaction was closed")
            })?;
            let definition: TableDefinition<Bytes, Bytes> = TableDefinition::new(&name);
            txn.open_table(definition).map_err(errors::table)
        })?;
        Ok(ReadOnlyTable {
            shared: self.shared.clone(),
            closed: self.closed.clone(),
            table,
            name,
        })
    }

    /// End the snapshot; tables opened from it raise afterwards. Idempotent.
    fn close(&self) {
        self.closed.store(true, Ordering::Release);
        drop(self.txn.lock().expect("transaction lock poisoned").take());
    }

    /// True once closed (or the database closed).
    #[getter]
    fn closed(&self) -> bool {
        self.closed.load(Ordering::Acquire) || self.shared.check().is_err()
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, PyTuple>) {
        self.close();
    }

    fn __repr__(&self) -> String {
        format!(
            "<ReadTransaction {}>",
            if self.closed() { "closed" } else { "open" }
        )
    }
}

/// A table of a read transaction.
#[pyclass(module = "memory_storage_redb._redb", frozen)]
pub struct ReadOnlyTable {
    shared: Arc<Shared>,
    closed: Arc<AtomicBool>,
    table: redb::ReadOnlyTable<Bytes, Bytes>,
    name: String,
}

impl ReadOnlyTable {
    fn check(&self) -> PyResult<()> {
        self.shared.check()?;
        if self.closed.load(Ordering::Acquire) {
            return Err(errors::TransactionClosedError::new_err(
                "the read transaction was closed",
            ));
        }
        Ok(())
    }
}

#[pymethods]
impl ReadOnlyTable {
    /// The table's name.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// The value of ``key``, or None.
    fn get<'py>(&self, py: Python<'py>, key: &[u8]) -> PyResult<Option<Bound<'py, PyBytes>>> {
        self.check()?;
        let table = &self.table;
        // The lookup runs without the GIL; the bytes object is built straight from
        // redb's page guard afterwards (no intermediate copy).
        let found = py.detach(|| table.get(key)).map_err(errors::storage)?;
        Ok(found.map(|guard| PyBytes::new(py, guard.value())))
    }

    /// ``(key, value)`` pairs with ``start <= key < end`` in key order (None: unbounded).
    #[pyo3(signature = (start = None, end = None))]
    fn range<'py>(
        &self,
        py: Python<'py>,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
    ) -> PyResult<Vec<Bound<'py, PyTuple>>> {
        self.check()?;
        let table = &self.table;
        let pairs = py
            .detach(|| collect_range(table, start, end))
            .map_err(errors::storage)?;
        pairs_to_py(py, pairs)
    }

    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        self.check()?;
        let table = &self.table;
        let n = py.detach(|| table.len()).map_err(errors::storage)?;
        Ok(n as usize)
    }

    fn __repr__(&self) -> String {
        format!("<ReadOnlyTable {:?}>", self.name)
    }
}
