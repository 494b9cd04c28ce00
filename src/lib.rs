//! nhiscan: an inventory scanner for non-human identities.
//!
//! Pipeline (see ARCHITECTURE.md): collectors (today the file scanner in [`scan`]) produce
//! matches; [`inventory`] turns them into [`model::Identity`] records; [`policy`] judges them
//! into [`model::Finding`]s; [`report`] renders the result. [`detect`] holds the detector
//! set the file scanner runs.

pub mod app;
pub mod baseline;
pub mod collect;
pub mod config;
pub mod detect;
pub mod drift;
pub mod evidence;
pub mod inventory;
pub mod model;
pub mod owners;
pub mod policy;
pub mod report;
pub mod scan;
pub mod scan_history;
