//! duizhang (对账): reconciles social-assistance money against the
//! entitlement recomputed from the roster and the standards in force.
//!
//! The flow is `read` (edge) → `engine` (pure) → `write` (edge); `app`
//! wires them for the CLI. See ARCHITECTURE.md.

pub mod app;
pub mod case;
pub mod cli;
pub mod distributed;
pub mod domain;
pub mod engine;
pub mod error;
pub mod generate;
pub mod memory;
pub mod progress;
pub mod read;
pub mod write;
