//! `memory_storage_redb._redb`: a small, thread-safe PyO3 binding to the redb crate.
//!
//! Python objects never hold a borrow of a redb object: a write table re-opens
//! its table inside the shared write transaction for each call, a read table owns
//! redb's `ReadOnlyTable`. Every object checks its database's and transaction's
//! closed flags first, so a closed object raises instead of touching freed state.
//! Calls that touch the file run with the GIL released (`Python::detach`).

mod database;
mod errors;
mod read;
mod write;

use pyo3::prelude::*;

/// The native module; the public API is re-exported by `memory_storage_redb`.
#[pymodule]
fn _redb(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<database::Database>()?;
    m.add_class::<write::WriteTransaction>()?;
    m.add_class::<write::Table>()?;
    m.add_class::<read::ReadTransaction>()?;
    m.add_class::<read::ReadOnlyTable>()?;
    m.add("REDB_VERSION", "4.6")?;
    errors::register(m)
}
