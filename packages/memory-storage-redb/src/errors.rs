//! The exception tree of the binding and the mapping of redb's errors onto it.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    _redb,
    RedbError,
    PyException,
    "Base class of every error raised by the redb binding."
);
create_exception!(
    _redb,
    DatabaseError,
    RedbError,
    "Raised when a database cannot be opened or closed."
);
create_exception!(
    _redb,
    DatabaseAlreadyOpenError,
    DatabaseError,
    "Raised by Database() when the file is already open (redb locks a file per process)."
);
create_exception!(
    _redb,
    DatabaseClosedError,
    RedbError,
    "Raised when a closed Database (or a transaction or table of it) is used."
);
create_exception!(
    _redb,
    TransactionError,
    RedbError,
    "Raised when a transaction cannot begin."
);
create_exception!(
    _redb,
    TransactionClosedError,
    TransactionError,
    "Raised when a committed or aborted transaction, or a table opened in it, is used."
);
create_exception!(
    _redb,
    CommitError,
    TransactionError,
    "Raised when a commit fails; nothing was written."
);
create_exception!(
    _redb,
    TableError,
    RedbError,
    "Raised when a table cannot be opened."
);
create_exception!(
    _redb,
    TableDoesNotExistError,
    TableError,
    "Raised by a read transaction's open_table() for a table no write has created."
);
create_exception!(
    _redb,
    RedbStorageError,
    RedbError,
    "Raised when redb's storage layer fails (I/O, corruption)."
);
create_exception!(
    _redb,
    ValueTooLargeError,
    RedbStorageError,
    "Raised when a key or value is larger than redb accepts (about 3 GiB)."
);
create_exception!(
    _redb,
    CorruptedError,
    RedbStorageError,
    "Raised when the database file is corrupted."
);

/// Convert a redb storage error to the matching Python exception.
pub fn storage(err: redb::StorageError) -> PyErr {
    match err {
        redb::StorageError::DatabaseClosed => {
            DatabaseClosedError::new_err("the database is closed")
        }
        redb::StorageError::ValueTooLarge(n) => {
            ValueTooLargeError::new_err(format!("value of {n} bytes is larger than redb accepts"))
        }
        redb::StorageError::Corrupted(msg) => {
            CorruptedError::new_err(format!("database corrupted: {msg}"))
        }
        other => RedbStorageError::new_err(other.to_string()),
    }
}

/// Convert an error from opening or closing a database.
pub fn database(err: redb::DatabaseError) -> PyErr {
    match err {
        redb::DatabaseError::DatabaseAlreadyOpen => DatabaseAlreadyOpenError::new_err(
            "the database file is already open (redb allows one open handle per file)",
        ),
        redb::DatabaseError::Storage(inner) => storage(inner),
        other => DatabaseError::new_err(other.to_string()),
    }
}

/// Convert an error from beginning a transaction.
pub fn transaction(err: redb::TransactionError) -> PyErr {
    match err {
        redb::TransactionError::Storage(inner) => storage(inner),
        other => TransactionError::new_err(other.to_string()),
    }
}

/// Convert an error from committing.
pub fn commit(err: redb::CommitError) -> PyErr {
    match err {
        redb::CommitError::Storage(inner) => storage(inner),
        other => CommitError::new_err(other.to_string()),
    }
}

/// Convert an error from opening a table.
pub fn table(err: redb::TableError) -> PyErr {
    match err {
        redb::TableError::TableDoesNotExist(name) => {
            TableDoesNotExistError::new_err(format!("table {name:?} does not exist"))
        }
        redb::TableError::Storage(inner) => storage(inner),
        other => TableError::new_err(other.to_string()),
    }
}

/// Register every exception class on the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("RedbError", py.get_type::<RedbError>())?;
    m.add("DatabaseError", py.get_type::<DatabaseError>())?;
    m.add(
        "DatabaseAlreadyOpenError",
        py.get_type::<DatabaseAlreadyOpenError>(),
    )?;
    m.add("DatabaseClosedError", py.get_type::<DatabaseClosedError>())?;
    m.add("TransactionError", py.get_type::<TransactionError>())?;
    m.add(
        "TransactionClosedError",
        py.get_type::<TransactionClosedError>(),
    )?;
    m.add("CommitError", py.get_type::<CommitError>())?;
    m.add("TableError", py.get_type::<TableError>())?;
    m.add(
        "TableDoesNotExistError",
        py.get_type::<TableDoesNotExistError>(),
    )?;
    m.add("RedbStorageError", py.get_type::<RedbStorageError>())?;
    m.add("ValueTooLargeError", py.get_type::<ValueTooLargeError>())?;
    m.add("CorruptedError", py.get_type::<CorruptedError>())?;
    Ok(())
}
