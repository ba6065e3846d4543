//! `WriteTransaction` and its `Table`.

use std::ops::Bound as Edge;
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use redb::{ReadableTable, ReadableTableMetadata, TableDefinition};

use crate::database::Shared;
use crate::errors;

type Bytes = &'static [u8];

/// Owned `(key, value)` pairs of a range scan.
pub type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

/// The redb write transaction, shared by the Python transaction and its tables.
struct TxnState {
    shared: Arc<Shared>,
    txn: Mutex<Option<redb::WriteTransaction>>,
}

impl TxnState {
    /// Run `f` with the live transaction, or raise if it or the database is closed.
    fn with<T>(&self, f: impl FnOnce(&redb::WriteTransaction) -> PyResult<T>) -> PyResult<T> {
        self.shared.check()?;
        let guard = self.txn.lock().expect("transaction lock poisoned");
        match guard.as_ref() {
            Some(txn) => f(txn),
            None => Err(errors::TransactionClosedError::new_err(
                "the write transaction was committed or aborted",
            )),
        }
    }

    fn take(&self) -> PyResult<redb::WriteTransaction> {
        self.shared.check()?;
        self.txn
            .lock()
            .expect("transaction lock poisoned")
            .take()
            .ok_or_else(|| {
                errors::TransactionClosedError::new_err(
                    "the write transaction was committed or aborted",
                )
            })
    }
}

/// Open `name` inside `txn` (creating it) and run `f` on it.
fn with_table<T>(
    txn: &redb::WriteTransaction,
    name: &str,
    f: impl FnOnce(&mut redb::Table<'_, Bytes, Bytes>) -> Result<T, redb::StorageError>,
) -> PyResult<T> {
    let definition: TableDefinition<Bytes, Bytes> = TableDefinition::new(name);
    let mut table = txn.open_table(definition).map_err(errors::table)?;
    f(&mut table).map_err(errors::storage)
}

/// The single write transaction of a database.
///
/// As a context manager it commits on a clean exit and aborts on an exception.
#[pyclass(module = "memory_storage_redb._redb", frozen)]
pub struct WriteTransaction {
    state: Arc<TxnState>,
}

impl WriteTransaction {
    pub fn new(shared: Arc<Shared>, txn: redb::WriteTransaction) -> Self {
        WriteTransaction {
            state: Arc::new(TxnState {
                shared,
                txn: Mutex::new(Some(txn)),
            }),
        }
    }
}

#[pymethods]
impl WriteTransaction {
    /// Open (creating if needed) the table ``name`` of bytes keys and bytes values.
    fn open_table(&self, py: Python<'_>, name: String) -> PyResult<Table> {
        let state = self.state.clone();
        let checked = name.clone();
        py.detach(move || state.with(|txn| with_table(txn, &checked, |_| Ok(()))))?;
        Ok(Table {
            state: self.state.clone(),
            name,
        })
    }

    /// Delete the table ``name``; True if it existed.
    fn delete_table(&self, py: Python<'_>, name: String) -> PyResult<bool> {
        let state = self.state.clone();
        py.detach(move || {
            state.with(|txn| {
                let definition: TableDefinition<Bytes, Bytes> = TableDefinition::new(&name);
                txn.delete_table(definition).map_err(errors::table)
            })
        })
    }

    /// Commit every change; the transaction is closed afterwards.
    fn commit(&self, py: Python<'_>) -> PyResult<()> {
        let txn = self.state.take()?;
        py.detach(move || txn.commit()).map_err(errors::commit)
    }

    /// Discard every change; the transaction is closed afterwards.
    fn abort(&self, py: Python<'_>) -> PyResult<()> {
        let txn = self.state.take()?;
        py.detach(move || txn.abort()).map_err(errors::storage)
    }

    /// True once committed or aborted (or the database closed).
    #[getter]
    fn closed(&self) -> bool {
        self.state.shared.check().is_err()
            || self
                .state
                .txn
                .lock()
                .expect("transaction lock poisoned")
                .is_none()
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (exc_type, _exc = None, _tb = None))]
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: Option<&Bound<'_, PyAny>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let still_open = self
            .state
            .txn
            .lock()
            .expect("transaction lock poisoned")
            .is_some();
        if !still_open {
            return Ok(());
        }
        match exc_type {
            Some(t) if !t.is_none() => {
                // Aborting must not mask the exception that is propagating.
                let _ = self.abort(py);
            }
            _ => self.commit(py)?,
        }
        Ok(())
    }

    fn __repr__(&self) -> String {
        format!(
            "<WriteTransaction {}>",
            if self.closed() { "closed" } else { "open" }
        )
    }
}

/// A table of a write transaction: bytes keys in byte order, bytes values.
#[pyclass(module = "memory_storage_redb._redb", frozen)]
pub struct Table {
    state: Arc<TxnState>,
    name: String,
}

#[pymethods]
impl Table {
    /// The table's name.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// Insert or replace ``key``; returns the previous value or None.
    fn insert<'py>(
        &self,
        py: Python<'py>,
        key: &[u8],
        value: &[u8],
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let state = &self.state;
        let name = &self.name;
        let old = py.detach(|| {
            state.with(|txn| {
                with_table(txn, name, |t| {
                    Ok(t.insert(key, value)?.map(|g| g.value().to_vec()))
                })
            })
        })?;
        Ok(old.map(|v| PyBytes::new(py, &v)))
    }

    /// The value of ``key``, or None.
    fn get<'py>(&self, py: Python<'py>, key: &[u8]) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let state = &self.state;
        let name = &self.name;
        let found = py.detach(|| {
            state.with(|txn| with_table(txn, name, |t| Ok(t.get(key)?.map(|g| g.value().to_vec()))))
        })?;
        Ok(found.map(|v| PyBytes::new(py, &v)))
    }

    /// Remove ``key``; returns the removed value or None.
    fn remove<'py>(&self, py: Python<'py>, key: &[u8]) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let state = &self.state;
        let name = &self.name;
        let old = py.detach(|| {
            state.with(|txn| {
                with_table(txn, name, |t| {
                    Ok(t.remove(key)?.map(|g| g.value().to_vec()))
                })
            })
        })?;
        Ok(old.map(|v| PyBytes::new(py, &v)))
    }

    /// ``(key, value)`` pairs with ``start <= key < end`` in key order (None: unbounded).
    #[pyo3(signature = (start = None, end = None))]
    fn range<'py>(
        &self,
        py: Python<'py>,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
    ) -> PyResult<Vec<Bound<'py, PyTuple>>> {
        let state = &self.state;
        let name = &self.name;
        let pairs = py.detach(|| {
            state.with(|txn| with_table(txn, name, |t| collect_range(&*t, start, end)))
        })?;
        pairs_to_py(py, pairs)
    }

    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        let state = &self.state;
        let name = &self.name;
        let n = py.detach(|| state.with(|txn| with_table(txn, name, |t| t.len())))?;
        Ok(n as usize)
    }

    fn __repr__(&self) -> String {
        format!("<Table {:?} (write)>", self.name)
    }
}

/// Collect a key range of any readable table into owned pairs.
pub fn collect_range<T: ReadableTable<Bytes, Bytes>>(
    table: &T,
    start: Option<&[u8]>,
    end: Option<&[u8]>,
) -> Result<Pairs, redb::StorageError> {
    let lower = start.map_or(Edge::Unbounded, Edge::Included);
    let upper = end.map_or(Edge::Unbounded, Edge::Excluded);
    if let (Some(s), Some(e)) = (start, end) {
        if s >= e {
            return Ok(Vec::new());
        }
    }
    let mut out = Vec::new();
    for item in table.range::<&[u8]>((lower, upper))? {
        let (k, v) = item?;
        out.push((k.value().to_vec(), v.value().to_vec()));
    }
    Ok(out)
}

/// Convert owned pairs to a list of ``(bytes, bytes)`` tuples.
pub fn pairs_to_py<'py>(py: Python<'py>, pairs: Pairs) -> PyResult<Vec<Bound<'py, PyTuple>>> {
    pairs
        .into_iter()
        .map(|(k, v)| PyTuple::new(py, [PyBytes::new(py, &k), PyBytes::new(py, &v)]))
        .collect()
}
