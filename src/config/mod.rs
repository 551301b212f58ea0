//! keepalived.conf front end: files -> statement tree -> typed model, with diagnostics.
//!
//! Pure apart from reading the configuration files, which goes through [`source::Loader`].

pub mod diag;
pub mod parse;
pub mod source;
pub mod span;
pub mod syntax;
