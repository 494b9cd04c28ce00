//! nhiscan: an inventory scanner for non-human identities.
//!
//! Stages, top to bottom (see ARCHITECTURE.md); each reads only what the stages below it
//! produce, and they talk through the [`model`]:
//! - sources: [`scan`] (files and git history, with the detectors of [`detect`]) and
//!   [`collect`] (cloud and platform APIs);
//! - [`inventory`]: one builder every source feeds; identities with typed provenance;
//! - [`owners`]: who is accountable for each identity;
//! - [`policy`]: findings with levels and controls;
//! - [`report`] (and [`drift`], [`evidence`], [`scan_history`], [`review`]): what people,
//!   CI and auditors read, and the access-review sheet they fill in.
//!
//! [`config`] parses nhiscan.toml into each stage's settings; [`pipeline`] wires one scan.

pub mod collect;
pub mod config;
pub mod detect;
pub mod drift;
pub mod evidence;
pub mod inventory;
pub mod model;
pub mod owners;
pub mod pipeline;
pub mod policy;
pub mod report;
pub mod review;
pub mod scan;
pub mod scan_history;
pub mod validate;
