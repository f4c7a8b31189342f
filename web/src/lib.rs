//! duizhang in a web page: the library's `reconcile`, `check` and `notice`
//! on files the browser hands over as bytes, every output kept in memory
//! and handed back to JavaScript. Nothing here reads or writes a file:
//! the case is listed from named buffers (`CaseFolder::from_entries`), the
//! same input layer the CLI and the Spark runner use, and the outputs are
//! rendered by the same writers, so their bytes are the CLI's.
//!
//! The options are the CLI's flags, checked by the CLI's own parser (the
//! same messages for a bad `--from`). What this file adds is the shape
//! the page's worker wants (plain JavaScript objects) and the limits of a
//! page (one thread, a 4 GiB WebAssembly memory).

mod api;

pub use api::{Options, Outcome, PageError};

use std::sync::Arc;

use wasm_bindgen::prelude::*;

/// The files of one case as the page was given them.
#[wasm_bindgen]
#[derive(Default)]
pub struct Entries {
    files: Vec<(String, Arc<[u8]>)>,
    register: Option<(String, Vec<u8>)>,
    total_bytes: u64,
}

#[wasm_bindgen]
impl Entries {
    #[wasm_bindgen(constructor)]
    pub fn new() -> Entries {
        Entries::default()
    }

    /// Adds file `path` (relative to the case folder, `/` between names:
    /// `payouts/2024-07.xlsx`). Refused past [`api::MAX_INPUT_BYTES`].
    pub fn add(&mut self, path: String, data: &[u8]) -> Result<(), JsValue> {
        self.total_bytes += data.len() as u64;
        api::check_size(self.total_bytes).map_err(to_js)?;
        self.files.push((path, Arc::from(data)));
        Ok(())
    }

    /// The earlier register (`--register`): register.csv or register.xlsx.
    #[wasm_bindgen(js_name = setRegister)]
    pub fn set_register(&mut self, path: String, data: Vec<u8>) -> Result<(), JsValue> {
        self.total_bytes += data.len() as u64;
        api::check_size(self.total_bytes).map_err(to_js)?;
        self.register = Some((path, data));
        Ok(())
    }
}

impl Entries {
    fn into_parts(self) -> api::Input {
        api::Input {
            files: self.files,
            register: self.register,
        }
    }
}

/// `reconcile`: `options` is a JSON object (`from`, `to`, `report`,
/// `lang`, `bom`, `fail_on`).
#[wasm_bindgen]
pub fn reconcile(entries: Entries, options: &str) -> Result<JsValue, JsValue> {
    let options = api::parse_options(options).map_err(to_js)?;
    let outcome = api::reconcile(entries.into_parts(), &options).map_err(to_js)?;
    Ok(outcome_to_js(outcome))
}

/// `check`: what each file was read as, the window, the gaps.
#[wasm_bindgen]
pub fn check(entries: Entries, options: &str) -> Result<JsValue, JsValue> {
    let options = api::parse_options(options).map_err(to_js)?;
    let outcome = api::check(entries.into_parts(), &options).map_err(to_js)?;
    Ok(outcome_to_js(outcome))
}

/// `notice`: the public notice (公示) of `period`.
#[wasm_bindgen]
pub fn notice(entries: Entries, options: &str) -> Result<JsValue, JsValue> {
    let options = api::parse_options(options).map_err(to_js)?;
    let outcome = api::notice(entries.into_parts(), &options).map_err(to_js)?;
    Ok(outcome_to_js(outcome))
}

/// The message of the last panic (a defect: the engine never panics on
/// input), kept by the hook [`start`] sets so that the page can show it
/// after the trap that ends the call; empty when there was none.
static LAST_PANIC: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());

/// Called once when the module is loaded.
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        let mut kept = LAST_PANIC
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *kept = info.to_string();
    }));
}

/// The last panic's message ([`LAST_PANIC`]).
#[wasm_bindgen(js_name = lastPanic)]
pub fn last_panic() -> String {
    LAST_PANIC
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone()
}

/// Panics, for the page's test: a trap in the engine must be caught by
/// the worker, shown as an internal error, and the next command must run.
#[wasm_bindgen(js_name = trapForTest)]
pub fn trap_for_test(_entries: Entries, _options: &str) -> Result<JsValue, JsValue> {
    panic!("the trap the page's test asks for")
}

/// The most input the page takes, in bytes (past it: use the CLI).
#[wasm_bindgen(js_name = maxInputBytes)]
pub fn max_input_bytes() -> f64 {
    api::MAX_INPUT_BYTES as f64
}

fn set(object: &js_sys::Object, key: &str, value: &JsValue) {
    // Setting a property of a plain object just made cannot fail.
    let _ = js_sys::Reflect::set(object, &JsValue::from_str(key), value);
}

fn outcome_to_js(outcome: Outcome) -> JsValue {
    let object = js_sys::Object::new();
    let outputs = js_sys::Array::new();
    for (path, bytes) in &outcome.outputs {
        let output = js_sys::Object::new();
        set(&output, "path", &JsValue::from_str(path));
        set(
            &output,
            "data",
            &js_sys::Uint8Array::from(bytes.as_slice()).into(),
        );
        outputs.push(&output);
    }
    set(&object, "outputs", &outputs);
    set(&object, "headline", &JsValue::from_str(&outcome.headline));
    let messages = js_sys::Array::new();
    for message in &outcome.messages {
        messages.push(&JsValue::from_str(message));
    }
    set(&object, "messages", &messages);
    set(&object, "exit", &JsValue::from(outcome.exit));
    set(
        &object,
        "details",
        &JsValue::from_str(&outcome.details_json),
    );
    if let Some(bundle) = &outcome.bundle {
        set(
            &object,
            "bundle",
            &js_sys::Uint8Array::from(bundle.as_slice()).into(),
        );
    }
    object.into()
}

fn to_js(error: PageError) -> JsValue {
    let object = js_sys::Object::new();
    set(&object, "message", &JsValue::from_str(&error.message));
    set(
        &object,
        "location",
        &error
            .location
            .as_deref()
            .map_or(JsValue::NULL, JsValue::from_str),
    );
    if let Some(report) = &error.report {
        set(&object, "report", &JsValue::from_str(report));
    }
    object.into()
}
