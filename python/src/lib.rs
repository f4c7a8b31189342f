//! duizhang's engine for Python: the crate's reader, core and renderers
//! (`duizhang::distributed`) behind Arrow record batches, for the Spark
//! runner in `duizhang/spark.py`. No Python is called per person: a task
//! hands whole batches in, Rust finds where one person ends and the next
//! begins.

use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;

use arrow_array::builder::{BinaryBuilder, Int32Builder, Int64Builder, Int8Builder, StringBuilder};
use arrow_array::{Array, ArrayRef, BinaryArray, Int64Array, Int8Array, RecordBatch, StringArray};
use arrow_pyarrow::{FromPyArrow, ToPyArrow};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use duizhang::distributed;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

pyo3::create_exception!(_native, DuizhangError, PyException);

/// Rows per Arrow batch a file task hands out.
const BATCH_ROWS: usize = 1 << 16;

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("key", DataType::Utf8, false),
        Field::new("kind", DataType::Int8, false),
        Field::new("line", DataType::Int64, false),
        Field::new("payload", DataType::Binary, false),
        Field::new("bucket", DataType::Int32, false),
    ]))
}

/// The first reading's output: key rows for the dedupers (tag 1–4), the
/// task's facts (tag 0) and, after the dedupers, theirs (tag 5). A key or
/// value of 128 bits travels as two int64 (high, low).
fn key_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("tag", DataType::Int8, false),
        Field::new("k_hi", DataType::Int64, false),
        Field::new("k_lo", DataType::Int64, false),
        Field::new("v_hi", DataType::Int64, false),
        Field::new("v_lo", DataType::Int64, false),
        Field::new("facts", DataType::Binary, false),
    ]))
}

#[derive(Default)]
struct KeyBuilders {
    tag: Int8Builder,
    k_hi: Int64Builder,
    k_lo: Int64Builder,
    v_hi: Int64Builder,
    v_lo: Int64Builder,
    facts: BinaryBuilder,
    rows: usize,
}

impl KeyBuilders {
    fn push(&mut self, tag: u8, key: u128, value: u128, facts: &[u8]) {
        self.tag.append_value(tag as i8);
        self.k_hi.append_value((key >> 64) as i64);
        self.k_lo.append_value(key as i64);
        self.v_hi.append_value((value >> 64) as i64);
        self.v_lo.append_value(value as i64);
        self.facts.append_value(facts);
        self.rows += 1;
    }

    fn finish(&mut self) -> RecordBatch {
        self.rows = 0;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.tag.finish()),
            Arc::new(self.k_hi.finish()),
            Arc::new(self.k_lo.finish()),
            Arc::new(self.v_hi.finish()),
            Arc::new(self.v_lo.finish()),
            Arc::new(self.facts.finish()),
        ];
        RecordBatch::try_new(key_schema(), columns).expect("the columns match the schema")
    }
}

fn error(message: impl std::fmt::Display) -> PyErr {
    DuizhangError::new_err(message.to_string())
}

struct Builders {
    key: StringBuilder,
    kind: Int8Builder,
    line: Int64Builder,
    payload: BinaryBuilder,
    bucket: Int32Builder,
    rows: usize,
}

impl Builders {
    fn new() -> Builders {
        Builders {
            key: StringBuilder::new(),
            kind: Int8Builder::new(),
            line: Int64Builder::new(),
            payload: BinaryBuilder::new(),
            bucket: Int32Builder::new(),
            rows: 0,
        }
    }

    fn finish(&mut self) -> RecordBatch {
        self.rows = 0;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.key.finish()),
            Arc::new(self.kind.finish()),
            Arc::new(self.line.finish()),
            Arc::new(self.payload.finish()),
            Arc::new(self.bucket.finish()),
        ];
        RecordBatch::try_new(schema(), columns).expect("the columns match the schema")
    }
}

enum Message {
    Batch(RecordBatch),
    Facts(Vec<u8>),
}

/// The file kinds read by a task each, by number.
#[pyfunction]
fn file_tasks() -> Vec<u8> {
    distributed::FILE_TASKS
        .iter()
        .map(|kind| *kind as u8)
        .collect()
}

/// The name of file kind `number` as SPEC.md spells it.
#[pyfunction]
fn file_name(number: u8) -> PyResult<&'static str> {
    distributed::file_kind(number)
        .map(|kind| kind.file_name())
        .ok_or_else(|| error(format!("no file kind {number}")))
}

/// Reads one piece of a case (`Driver.pieces`: a whole file kind, or one
/// file or range of a stage kind) with the crate's reader, in a thread of
/// its own. Without a layout (the first reading) iterating gives the key
/// rows of a piece read in pieces, then one row holding the piece's facts
/// (tag 0), as Arrow record batches of the key schema. With the driver's
/// layout (`Driver.layout`, the second reading) it gives the piece's
/// person rows (key, kind, line, payload, bucket) and raises the error
/// that stops the run if the file is not the one the first reading read.
#[pyclass(unsendable)]
struct FileReader {
    receiver: Option<Receiver<Message>>,
    /// Rows were asked for: an error in the facts is raised.
    rows: bool,
}

#[pymethods]
impl FileReader {
    #[new]
    #[pyo3(signature = (case_dir, piece, layout=None))]
    fn new(case_dir: PathBuf, piece: Vec<u8>, layout: Option<Vec<u8>>) -> PyResult<FileReader> {
        let piece = distributed::Piece::decode(&piece).map_err(error)?;
        let layout = layout
            .map(|bytes| distributed::Layout::decode(&bytes))
            .transpose()
            .map_err(error)?;
        let rows = layout.is_some();
        let (sender, receiver) = sync_channel(2);
        std::thread::spawn(move || {
            let mut builders = Builders::new();
            let mut keys = KeyBuilders::default();
            let mut open = true;
            let facts = match &layout {
                None => distributed::read_piece(
                    &case_dir,
                    &piece,
                    None,
                    &mut |_, _, _, _| {},
                    &mut |tag, key, value| {
                        keys.push(tag, key, value, &[]);
                        if keys.rows >= BATCH_ROWS && open {
                            open = sender.send(Message::Batch(keys.finish())).is_ok();
                        }
                    },
                ),
                Some(layout) => distributed::read_piece(
                    &case_dir,
                    &piece,
                    Some(layout),
                    &mut |key, row, position, payload| {
                        builders.key.append_value(key);
                        builders.kind.append_value(row as i8);
                        // The file number sits in the top 16 bits: fits an i64.
                        builders.line.append_value(position as i64);
                        builders.payload.append_value(payload);
                        builders.bucket.append_value(layout.bucket(key));
                        builders.rows += 1;
                        if builders.rows >= BATCH_ROWS && open {
                            open = sender.send(Message::Batch(builders.finish())).is_ok();
                        }
                    },
                    &mut |_, _, _| {},
                ),
            };
            if builders.rows > 0 && open {
                open = sender.send(Message::Batch(builders.finish())).is_ok();
            }
            if layout.is_none() && open {
                keys.push(distributed::KEY_FACTS, 0, 0, &facts);
                let _ = sender.send(Message::Batch(keys.finish()));
            }
            let _ = sender.send(Message::Facts(facts));
        });
        Ok(FileReader {
            receiver: Some(receiver),
            rows,
        })
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let Some(receiver) = self.receiver.take() else {
            return Ok(None);
        };
        let (message, receiver) = py.detach(move || (receiver.recv(), receiver));
        self.receiver = Some(receiver);
        match message {
            Ok(Message::Batch(batch)) => Ok(Some(batch.to_pyarrow(py)?.unbind())),
            Ok(Message::Facts(facts)) => {
                self.receiver = None;
                // Only the second reading raises: the first's errors go
                // to the driver with the facts.
                match self.rows {
                    true => match distributed::facts_error(&facts).map_err(error)? {
                        Some(message) => Err(error(message)),
                        None => Ok(None),
                    },
                    false => Ok(None),
                }
            }
            Err(_) => Err(error("the file reader stopped without its facts")),
        }
    }
}

/// Reads text file `file` of the case whole and cuts its rows into ranges
/// of about `split_bytes` at record boundaries (`Driver.to_survey`,
/// `Driver.add_survey`).
#[pyfunction]
fn survey<'py>(
    py: Python<'py>,
    case_dir: PathBuf,
    file: u16,
    split_bytes: u64,
) -> Bound<'py, PyBytes> {
    let survey = py.detach(|| distributed::survey(&case_dir, file, split_bytes));
    PyBytes::new(py, &survey)
}

/// Takes the key rows of a share of the keys (every row of a key comes to
/// one deduper) and finds the repeats, bounds and shared accounts in them.
#[pyclass]
struct Deduper {
    inner: Option<distributed::Deduper>,
}

fn int64s(batch: &RecordBatch, index: usize) -> PyResult<&Int64Array> {
    column::<Int64Array>(batch, index)
}

#[pymethods]
impl Deduper {
    #[new]
    fn new() -> Deduper {
        Deduper {
            inner: Some(distributed::Deduper::default()),
        }
    }

    /// Takes a batch of key rows (facts rows are passed over).
    fn push(&mut self, batch: &Bound<'_, PyAny>) -> PyResult<()> {
        let batch = RecordBatch::from_pyarrow_bound(batch)?;
        let inner = self
            .inner
            .as_mut()
            .ok_or_else(|| error("the deduper has finished"))?;
        let tags = column::<Int8Array>(&batch, 0)?;
        let (k_hi, k_lo) = (int64s(&batch, 1)?, int64s(&batch, 2)?);
        let (v_hi, v_lo) = (int64s(&batch, 3)?, int64s(&batch, 4)?);
        let wide = |high: i64, low: i64| u128::from(high as u64) << 64 | u128::from(low as u64);
        for index in 0..batch.num_rows() {
            inner
                .push(
                    tags.value(index) as u8,
                    wide(k_hi.value(index), k_lo.value(index)),
                    wide(v_hi.value(index), v_lo.value(index)),
                )
                .map_err(error)?;
        }
        Ok(())
    }

    /// What the deduper found: one row (tag 5) of the key schema.
    fn finish(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let inner = self
            .inner
            .take()
            .ok_or_else(|| error("the deduper has finished"))?;
        let deduped = py.detach(|| inner.finish());
        let mut keys = KeyBuilders::default();
        keys.push(distributed::KEY_DEDUPED, 0, 0, &deduped);
        Ok(keys.finish().to_pyarrow(py)?.unbind())
    }
}

/// The run at the driver (see `duizhang::distributed::Driver`).
#[pyclass(unsendable)]
struct Driver {
    inner: Option<distributed::Driver>,
    #[pyo3(get)]
    warnings: Vec<String>,
}

impl Driver {
    fn inner(&mut self) -> PyResult<&mut distributed::Driver> {
        self.inner
            .as_mut()
            .ok_or_else(|| error("the run has finished"))
    }
}

#[pymethods]
impl Driver {
    #[new]
    #[pyo3(signature = (case_dir, out_dir, period_from=None, period_to=None, register=None, new_register=false, bom=false))]
    fn new(
        case_dir: PathBuf,
        out_dir: PathBuf,
        period_from: Option<String>,
        period_to: Option<String>,
        register: Option<PathBuf>,
        new_register: bool,
        bom: bool,
    ) -> PyResult<Driver> {
        let (mut inner, warnings) = distributed::Driver::open(
            &case_dir,
            &out_dir,
            period_from.as_deref(),
            period_to.as_deref(),
            register.as_deref(),
            new_register,
        )
        .map_err(error)?;
        inner.set_bom(bom);
        Ok(Driver {
            inner: Some(inner),
            warnings,
        })
    }

    /// The text files to survey before the pieces are made.
    fn to_survey(&self, split_bytes: u64) -> PyResult<Vec<u16>> {
        self.inner
            .as_ref()
            .map(|inner| inner.to_survey(split_bytes))
            .ok_or_else(|| error("the run has finished"))
    }

    fn add_survey(&mut self, survey: &[u8]) -> PyResult<()> {
        self.inner()?.add_survey(survey).map_err(error)
    }

    /// What the reading tasks read, a piece each (opaque bytes).
    fn pieces<'py>(&mut self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyBytes>>> {
        let pieces = self.inner()?.pieces();
        Ok(pieces.iter().map(|piece| PyBytes::new(py, piece)).collect())
    }

    /// Some kind is read in pieces: the key rows go to dedupers.
    #[getter]
    fn needs_dedupe(&self) -> bool {
        self.inner
            .as_ref()
            .is_some_and(distributed::Driver::needs_dedupe)
    }

    fn add_deduped(&mut self, deduped: &[u8]) -> PyResult<()> {
        self.inner()?.add_deduped(deduped).map_err(error)
    }

    fn add_facts(&mut self, facts: &[u8]) -> PyResult<()> {
        self.inner()?.add_facts(facts).map_err(error)
    }

    fn plan<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let plan = self.inner()?.plan().map_err(error)?;
        Ok(PyBytes::new(py, &plan))
    }

    /// The layout of the second reading (`FileReader`): `buckets[i]` is
    /// the bucket value the shuffle sends to partition `i`.
    fn layout<'py>(&mut self, py: Python<'py>, buckets: Vec<i32>) -> PyResult<Bound<'py, PyBytes>> {
        if buckets.is_empty() {
            return Err(error("a layout needs at least one partition"));
        }
        let layout = self.inner()?.layout(&buckets);
        Ok(PyBytes::new(py, &layout))
    }

    fn add_part(&mut self, py: Python<'_>, part: &[u8]) -> PyResult<()> {
        let inner = self.inner()?;
        py.detach(|| inner.add_part(part)).map_err(error)
    }

    /// Places the four files; returns the one-line summary and the most
    /// severe finding's severity (`low`, `medium`, `high`; `None`: none).
    fn finish(&mut self, py: Python<'_>) -> PyResult<(String, Option<&'static str>)> {
        let inner = self
            .inner
            .take()
            .ok_or_else(|| error("the run has finished"))?;
        let finished = py.detach(|| inner.finish()).map_err(error)?;
        Ok((
            finished.describe(),
            finished.highest_severity().map(|severity| severity.name()),
        ))
    }
}

/// A task's per-person pass: batches of person rows in, sorted by key;
/// parts out, each of whole persons and at least `rows_per_part` rows
/// (the last one of a task: what is left).
#[pyclass]
struct Reconciler {
    worker: Arc<distributed::Worker>,
    pending: Vec<RecordBatch>,
    pending_rows: usize,
    rows_per_part: usize,
    /// The batches come sorted by key (Spark sorted them): parts are cut
    /// as they arrive. Else they are kept and sorted here at the end.
    sorted: bool,
}

fn column<T: 'static>(batch: &RecordBatch, index: usize) -> PyResult<&T> {
    batch
        .column(index)
        .as_any()
        .downcast_ref::<T>()
        .ok_or_else(|| error(format!("column {index} of the rows has an unexpected type")))
}

/// The rows of `batches`, borrowed.
fn rows_of(batches: &[RecordBatch]) -> PyResult<Vec<distributed::Row<'_>>> {
    let mut arrays = Vec::with_capacity(batches.len());
    for batch in batches {
        arrays.push((
            column::<StringArray>(batch, 0)?,
            column::<Int8Array>(batch, 1)?,
            column::<Int64Array>(batch, 2)?,
            column::<BinaryArray>(batch, 3)?,
        ));
    }
    let mut rows = Vec::with_capacity(batches.iter().map(RecordBatch::num_rows).sum());
    for (keys, kinds, lines, payloads) in arrays {
        for index in 0..keys.len() {
            rows.push(distributed::Row {
                id_number: keys.value(index),
                kind: kinds.value(index) as u8,
                position: lines.value(index) as u64,
                payload: payloads.value(index),
            });
        }
    }
    Ok(rows)
}

/// Every row of `batches`, in any order, sorted by key and reconciled in
/// parts of whole persons of at least `rows_per_part` rows, in key order.
fn reconcile_unsorted(
    worker: &distributed::Worker,
    batches: &[RecordBatch],
    rows_per_part: usize,
) -> PyResult<Vec<Vec<u8>>> {
    let mut rows = rows_of(batches)?;
    rows.sort_unstable_by(|a, b| {
        (a.id_number, a.kind, a.position).cmp(&(b.id_number, b.kind, b.position))
    });
    let mut parts = Vec::new();
    let mut start = 0;
    while start < rows.len() {
        let mut end = (start + rows_per_part).min(rows.len());
        while end < rows.len() && rows[end].id_number == rows[end - 1].id_number {
            end += 1;
        }
        parts.push(worker.reconcile(&rows[start..end]).map_err(error)?);
        start = end;
    }
    Ok(parts)
}

fn reconcile(worker: &distributed::Worker, batches: &[RecordBatch]) -> PyResult<Vec<u8>> {
    let rows = rows_of(batches)?;
    worker.reconcile(&rows).map_err(error)
}

impl Reconciler {
    /// Reconciles every pending row up to `cut` rows into the last batch.
    fn flush(&mut self, py: Python<'_>, cut: usize) -> PyResult<Vec<u8>> {
        let last = self.pending.pop().expect("a pending batch");
        let mut batches = std::mem::take(&mut self.pending);
        batches.push(last.slice(0, cut));
        let rest = last.slice(cut, last.num_rows() - cut);
        self.pending_rows = rest.num_rows();
        if rest.num_rows() > 0 {
            self.pending.push(rest);
        }
        let worker = self.worker.clone();
        py.detach(|| reconcile(&worker, &batches))
    }
}

#[pymethods]
impl Reconciler {
    #[new]
    #[pyo3(signature = (case_dir, plan, rows_per_part=200_000, sorted=true))]
    fn new(
        py: Python<'_>,
        case_dir: PathBuf,
        plan: &[u8],
        rows_per_part: usize,
        sorted: bool,
    ) -> PyResult<Reconciler> {
        let worker = py
            .detach(|| distributed::Worker::new(&case_dir, plan))
            .map_err(error)?;
        Ok(Reconciler {
            worker: Arc::new(worker),
            pending: Vec::new(),
            pending_rows: 0,
            rows_per_part: rows_per_part.max(1),
            sorted,
        })
    }

    /// Takes the next batch (rows sorted by key, continuing the last one);
    /// returns the parts now complete.
    fn push<'py>(
        &mut self,
        py: Python<'py>,
        batch: &Bound<'py, PyAny>,
    ) -> PyResult<Vec<Bound<'py, PyBytes>>> {
        let batch = RecordBatch::from_pyarrow_bound(batch)?;
        if batch.num_rows() == 0 {
            return Ok(Vec::new());
        }
        self.pending_rows += batch.num_rows();
        self.pending.push(batch);
        if !self.sorted || self.pending_rows < self.rows_per_part {
            return Ok(Vec::new());
        }
        // Cut before the last person of the last batch: every person
        // before it is whole (rows come sorted by key).
        let last = self.pending.last().expect("just pushed");
        let keys = column::<StringArray>(last, 0)?;
        let final_key = keys.value(keys.len() - 1);
        let mut cut = keys.len() - 1;
        while cut > 0 && keys.value(cut - 1) == final_key {
            cut -= 1;
        }
        if cut == 0 {
            return Ok(Vec::new());
        }
        let part = self.flush(py, cut)?;
        Ok(vec![PyBytes::new(py, &part)])
    }

    /// The last part: every row still pending.
    fn finish<'py>(&mut self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyBytes>>> {
        if self.pending.is_empty() {
            return Ok(Vec::new());
        }
        if !self.sorted {
            let batches = std::mem::take(&mut self.pending);
            self.pending_rows = 0;
            let (worker, rows_per_part) = (self.worker.clone(), self.rows_per_part);
            let parts = py.detach(|| reconcile_unsorted(&worker, &batches, rows_per_part))?;
            return Ok(parts.iter().map(|part| PyBytes::new(py, part)).collect());
        }
        let rows = self.pending.last().expect("pending").num_rows();
        let part = self.flush(py, rows)?;
        Ok(vec![PyBytes::new(py, &part)])
    }
}

#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add("DuizhangError", module.py().get_type::<DuizhangError>())?;
    module.add_function(wrap_pyfunction!(file_tasks, module)?)?;
    module.add_function(wrap_pyfunction!(file_name, module)?)?;
    module.add_function(wrap_pyfunction!(survey, module)?)?;
    module.add_class::<FileReader>()?;
    module.add_class::<Deduper>()?;
    module.add_class::<Driver>()?;
    module.add_class::<Reconciler>()?;
    Ok(())
}
