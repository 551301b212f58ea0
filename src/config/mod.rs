//! keepalived.conf front end: files -> statement tree -> typed model, with diagnostics.
//!
//! Pure apart from reading the configuration files, which goes through [`source::Loader`].

pub mod define;
pub mod diag;
mod expand;
pub mod include;
pub mod lexer;
pub mod limits;
pub mod line;
pub mod parse;
pub mod seq;
pub mod source;
pub mod span;
pub mod syntax;
pub mod tree;
